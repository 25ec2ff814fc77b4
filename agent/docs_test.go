package agent

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docTables reads the reference tables of docs/agent.md: for each "###"
// section, the rows' first-column names (and, for the method config
// table, "method/key").
func docTables(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docs", "agent.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	section, header := "", false
	name := regexp.MustCompile("^`([a-z_]+)`$")
	for _, line := range strings.Split(string(data), "\n") {
		if h, ok := strings.CutPrefix(line, "### "); ok {
			section = h
			continue
		}
		if !strings.HasPrefix(line, "|") {
			header = false
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if !header {
			header = true
			if cells[0] == "method" {
				section += " config"
			}
			continue
		}
		if strings.HasPrefix(cells[0], "---") {
			continue
		}
		m := name.FindStringSubmatch(cells[0])
		if m == nil {
			continue
		}
		if strings.HasSuffix(section, " config") {
			k := name.FindStringSubmatch(cells[1])
			if k != nil {
				out[section] = append(out[section], m[1]+"/"+k[1])
			}
			continue
		}
		out[section] = append(out[section], m[1])
	}
	return out
}

// TestDocsReference: every key docs/agent.md documents is one the parser
// knows, where the page puts it.
func TestDocsReference(t *testing.T) {
	tables := docTables(t)
	snippets := map[string]func(key string) string{
		"Top-level": func(k string) string { return k + " = \"x\"\n" },
		"vault":     func(k string) string { return "vault {\n  " + k + " = \"x\"\n}\n" },
		"auto_auth method": func(k string) string {
			if k == "type" { // the label's other spelling
				return "auto_auth {\n  method {\n    type = \"kubernetes\"\n  }\n}\n"
			}
			return "auto_auth {\n  method \"kubernetes\" {\n    " + k + " = \"x\"\n  }\n}\n"
		},
		`auto_auth sink "file"`:   func(k string) string { return "auto_auth {\n  sink \"file\" {\n    " + k + " = \"x\"\n  }\n}\n" },
		"template":                func(k string) string { return "template {\n  " + k + " = \"x\"\n}\n" },
		"template_config":         func(k string) string { return "template_config {\n  " + k + " = \"x\"\n}\n" },
		`listener "tcp"`:          func(k string) string { return "listener \"tcp\" {\n  " + k + " = \"x\"\n}\n" },
		"api_proxy (and cache)":   func(k string) string { return "api_proxy {\n  " + k + " = \"x\"\n}\ncache {\n  " + k + " = \"x\"\n}\n" },
		"auto_auth method config": nil,
	}
	for section, snippet := range snippets {
		keys := tables[section]
		if len(keys) == 0 {
			t.Errorf("docs/agent.md has no table under %q", section)
			continue
		}
		for _, k := range keys {
			text := ""
			if snippet == nil {
				method, key, _ := strings.Cut(k, "/")
				text = "auto_auth {\n  method \"" + method + "\" {\n    config = {\n      " + key + " = \"x\"\n    }\n  }\n}\n"
			} else {
				text = snippet(k)
			}
			_, err := Parse("doc.hcl", []byte(text))
			if err != nil && strings.Contains(err.Error(), "unknown key") {
				t.Errorf("%s: the page documents %q but the parser says: %v", section, k, err)
			}
		}
	}
	// The check sees an undocumented key as unknown.
	if _, err := Parse("doc.hcl", []byte("template {\n  destinaton = \"x\"\n}\n")); err == nil || !strings.Contains(err.Error(), "unknown key") {
		t.Fatalf("the parser accepted a misspelt key: %v", err)
	}
}
