package jwt

import (
	"bytes"
	"encoding/json"
	"testing"
)

func decodeClaims(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBoundClaims: exact values, lists either side, numbers and bools,
// JSON-pointer paths into objects and lists, and globs.
func TestBoundClaims(t *testing.T) {
	claims := decodeClaims(t, `{
		"ref": "refs/heads/main", "groups": ["dev", "ops"], "run": 42, "ok": true, "ratio": 0.5,
		"project": {"path": "group/app", "tags": ["a", "b"]}, "a/b": {"c~d": "escaped"}
	}`)
	cases := []struct {
		name  string
		typ   string
		bound string
		ok    bool
	}{
		{"exact", "string", `{"ref": "refs/heads/main"}`, true},
		{"exact miss", "string", `{"ref": "refs/heads/ma*"}`, false},
		{"one of a list", "string", `{"ref": ["refs/tags/v1", "refs/heads/main"]}`, true},
		{"list claim holds one", "string", `{"groups": "ops"}`, true},
		{"list claim holds none", "string", `{"groups": ["admin"]}`, false},
		{"number", "string", `{"run": 42}`, true},
		{"number as float", "string", `{"run": 42.0}`, true},
		{"number as text is not the number", "string", `{"run": "42"}`, false},
		{"fraction", "string", `{"ratio": 0.5}`, true},
		{"bool", "string", `{"ok": true}`, true},
		{"bool miss", "string", `{"ok": false}`, false},
		{"pointer", "string", `{"/project/path": "group/app"}`, true},
		{"pointer into a list", "string", `{"/project/tags/1": "b"}`, true},
		{"pointer past a list", "string", `{"/project/tags/7": "b"}`, false},
		{"pointer escapes", "string", `{"/a~1b/c~0d": "escaped"}`, true},
		{"missing", "string", `{"nope": "x"}`, false},
		{"glob prefix", "glob", `{"ref": "refs/heads/*"}`, true},
		{"glob middle", "glob", `{"/project/path": "gr*p/*"}`, true},
		{"glob miss", "glob", `{"ref": "refs/tags/*"}`, false},
		{"glob over a list claim", "glob", `{"groups": "o*"}`, true},
		{"every bound claim must match", "string", `{"ref": "refs/heads/main", "ok": false}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkBoundClaims(c.typ, decodeClaims(t, c.bound), claims)
			if (err == nil) != c.ok {
				t.Fatalf("got %v, want ok=%v", err, c.ok)
			}
		})
	}
}
