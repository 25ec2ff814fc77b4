package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/config"
)

// configTables reads the reference tables of docs/configuration.md: for
// each section ("Top-level settings", "storage", "listener", "audit"),
// the names in the key (or option) column.
func configTables(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	section, column, table := "", -1, ""
	name := regexp.MustCompile("^`([a-z_]+)`$")
	for _, line := range strings.Split(string(data), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			section, column = strings.Fields(h)[0], -1
			continue
		}
		if !strings.HasPrefix(line, "|") {
			column = -1
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if column < 0 {
			for i, c := range cells {
				if c == "key" || c == "option" {
					column, table = i, section+"/"+c
				}
			}
			continue
		}
		if column < len(cells) {
			if m := name.FindStringSubmatch(cells[column]); m != nil {
				out[table] = append(out[table], m[1])
			}
		}
	}
	return out
}

// TestConfigReferenceKeys: every key the reference documents is one
// vaultd's parser knows, in the place the reference puts it.
func TestConfigReferenceKeys(t *testing.T) {
	tables := configTables(t)
	templates := map[string]string{
		"Top-level/key":  "%s = \"x\"\n",
		"storage/key":    "storage \"bbolt\" {\n  %s = \"x\"\n}\n",
		"raft/key":       "storage \"raft\" {\n  %s = \"x\"\n}\n",
		"retry_join/key": "storage \"raft\" {\n  path = \"/d\"\n  retry_join {\n    %s = \"x\"\n  }\n}\n",
		"listener/key":   "listener \"tcp\" {\n  %s = \"x\"\n}\n",
		"audit/key":      "audit \"file\" \"f/\" {\n  %s = \"x\"\n}\n",
		"audit/option":   "audit \"file\" \"f/\" {\n  options = {\n    %s = \"x\"\n  }\n}\n",
	}
	for table, tmpl := range templates {
		keys := tables[table]
		t.Logf("%s: %d documented names", table, len(keys))
		if len(keys) == 0 {
			t.Errorf("docs/configuration.md has no %s table", table)
		}
		for _, k := range keys {
			_, err := config.Parse("doc.hcl", []byte(strings.Replace(tmpl, "%s", k, 1)))
			if err != nil && (strings.Contains(err.Error(), "unknown key") || strings.Contains(err.Error(), "unknown option")) {
				t.Errorf("%s: the reference documents %q but vaultd says: %v", table, k, err)
			}
		}
	}
	// And the check itself sees an undocumented name as unknown.
	if _, err := config.Parse("doc.hcl", []byte("listener \"tcp\" {\n  tls_frobnicate = true\n}\n")); err == nil || !strings.Contains(err.Error(), "unknown key") {
		t.Fatalf("the parser accepted an unknown listener key: %v", err)
	}
}

// TestConfigReferenceFlags: every flag of `vaultd server`, and of the
// client commands, is in the reference.
func TestConfigReferenceFlags(t *testing.T) {
	bin, _ := vaultdBinary.get(t)
	doc, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	flagLine := regexp.MustCompile(`^\s+-([a-z][a-z0-9-]*)`)
	for _, args := range append([][]string{{"server"}, {"agent"}, {"injector"}}, clientCommands(t, bin)...) {
		out, _ := exec.Command(bin, append(args, "-h")...).CombinedOutput()
		found := 0
		for _, line := range strings.Split(string(out), "\n") {
			m := flagLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			found++
			if !strings.Contains(string(doc), "`-"+m[1]) {
				t.Errorf("`vaultd %s` has the flag -%s, which docs/configuration.md does not list", strings.Join(args, " "), m[1])
			}
		}
		if found == 0 && !slices.Contains([]string{"print token", "policy fmt"}, strings.Join(args, " ")) {
			t.Errorf("no flags found in `vaultd %s -h`:\n%s", strings.Join(args, " "), out)
		}
	}
}

// clientCommands walks the binary's help: the client commands its usage
// lists, and the members of each group.
func clientCommands(t *testing.T, bin string) [][]string {
	t.Helper()
	top, _ := exec.Command(bin, "-h").CombinedOutput()
	_, list, ok := strings.Cut(string(top), "Client commands:\n")
	if !ok {
		t.Fatalf("no client commands in `vaultd -h`:\n%s", top)
	}
	var out [][]string
	var walk func(prefix []string, listing string)
	walk = func(prefix []string, listing string) {
		for _, line := range strings.Split(listing, "\n") {
			f := strings.Fields(line)
			if len(f) == 0 || !strings.HasPrefix(line, "    ") {
				break
			}
			cmd := append(append([]string{}, prefix...), f[0])
			help, _ := exec.Command(bin, append(cmd, "-h")...).CombinedOutput()
			if _, sub, ok := strings.Cut(string(help), "Subcommands:\n"); ok {
				walk(cmd, sub)
				continue
			}
			out = append(out, cmd)
		}
	}
	walk(nil, list)
	if len(out) < 40 {
		t.Fatalf("found only %d client commands: %v", len(out), out)
	}
	return out
}
