package deploy

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// apiRow is one row of a table in docs/api-compatibility.md.
type apiRow struct {
	section string
	names   []string // the backticked names in the first column
	status  string
}

func apiRows(t *testing.T) []apiRow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "api-compatibility.md"))
	if err != nil {
		t.Fatal(err)
	}
	tick := regexp.MustCompile("`([^`]+)`")
	var rows []apiRow
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			section = h
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if !strings.HasPrefix(line, "|") || len(cells) < 3 {
			continue
		}
		status := strings.TrimSpace(cells[1])
		if status != "supported" && status != "partial" && status != "not supported" {
			continue
		}
		row := apiRow{section: section, status: status}
		for _, m := range tick.FindAllStringSubmatch(cells[0], -1) {
			row.names = append(row.names, m[1])
		}
		rows = append(rows, row)
	}
	return rows
}

// TestAPICompatibilityPage holds docs/api-compatibility.md to the binary:
// every concrete sys/ path the page calls unsupported answers 404 on a dev
// server and every one it calls supported does not, and every engine and
// auth method type it calls unsupported is refused when enabled.
func TestAPICompatibilityPage(t *testing.T) {
	skipUnlessLinux(t)
	bin, _ := vaultdBinary.get(t)
	addr := freeAddr(t)
	srv := startBinary(t, bin, "server", "-dev", "-dev-root-token-id=root", "-dev-listen-address="+addr)
	base := "http://" + addr
	if err := waitAnswering(t.Context(), base, srv.done, 20*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, srv.out.String())
	}
	client := &http.Client{Timeout: 10 * time.Second}
	do := func(method, path, body string) int {
		req, err := http.NewRequestWithContext(t.Context(), method, base+"/v1/"+path, bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Vault-Token", "root")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	checked := 0
	for _, row := range apiRows(t) {
		for _, name := range row.names {
			if strings.ContainsAny(name, "<*=") {
				continue
			}
			switch {
			case strings.HasPrefix(name, "sys/"):
				if name == "sys/seal" {
					continue // GET is a 405 anyway, but keep the dev server unsealed
				}
				code := do(http.MethodGet, name, "")
				if row.status == "not supported" && code != http.StatusNotFound {
					t.Errorf("%s is documented as not supported but GET answers %d", name, code)
				}
				if row.status != "not supported" && code == http.StatusNotFound {
					t.Errorf("%s is documented as %s but GET answers 404", name, row.status)
				}
				checked++
			case row.status == "not supported" && (row.section == "Secrets engines" || row.section == "Auth methods"):
				table := "mounts"
				if row.section == "Auth methods" {
					table = "auth"
				}
				if code := do(http.MethodPost, "sys/"+table+"/doccheck-"+name, `{"type":"`+name+`"}`); code != http.StatusBadRequest {
					t.Errorf("%s type %q is documented as not supported but enabling it answers %d", row.section, name, code)
				}
				checked++
			}
		}
	}
	if code := do(http.MethodPost, "sys/auth/doccheck-kubernetes", `{"type":"kubernetes"}`); code != http.StatusNoContent {
		t.Errorf("enabling the kubernetes auth method answered %d", code)
	}
	if checked < 30 {
		t.Fatalf("only %d names checked: has the page's table format changed?", checked)
	}
	t.Logf("%d documented names checked against the server", checked)
}
