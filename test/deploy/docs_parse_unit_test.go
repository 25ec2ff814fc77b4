package deploy

import (
	"strings"
	"testing"
)

func TestParseDoc(t *testing.T) {
	good := "# t\n\n<!-- doc-test -->\n```sh\necho hi\n```\n\n<!-- doc-test: output -->\n```text\nhi\n```\n\n" +
		"<!-- doc-test: skip needs a cluster -->\n```bash\nkubectl get pods\n```\n\n```yaml\nkind: Pod\n```\n\n" +
		"<!-- doc-test: server, in-repo -->\n~~~sh\nvaultd server -dev\n~~~\n"
	steps, err := parseDoc("good.md", good)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, s := range steps {
		kinds = append(kinds, s.kind)
	}
	if got := strings.Join(kinds, ","); got != "run,output,skip,server" {
		t.Fatalf("kinds = %s", got)
	}
	if steps[0].text != "echo hi\n" || steps[0].line != 4 || steps[2].reason != "needs a cluster" || !steps[3].inRepo {
		t.Fatalf("steps = %+v", steps)
	}
	bad := map[string]string{
		"unmarked shell block":   "```sh\nrm -rf /\n```\n",
		"unmarked console block": "```console\n$ ls\n```\n",
		"marker without block":   "<!-- doc-test -->\nsome prose\n",
		"marker at the end":      "text\n<!-- doc-test -->\n",
		"skip without reason":    "<!-- doc-test: skip -->\n```sh\nls\n```\n",
		"unknown option":         "<!-- doc-test: sometimes -->\n```sh\nls\n```\n",
		"unclosed fence":         "<!-- doc-test -->\n```sh\nls\n",
	}
	for name, text := range bad {
		if _, err := parseDoc("bad.md", text); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMatchOutput(t *testing.T) {
	got := "Key    Value\n---    -----\nSealed   false\nVersion 1.18.0+vaultd\n"
	cases := []struct {
		want string
		ok   bool
	}{
		{"Sealed false", true},
		{"Key Value\n...\nVersion <v>", true},
		{"Sealed   false\nVersion <version>", true},
		{"Sealed true", false},
		{"Version <v>\nSealed false", false}, // order matters
		{"Seal", false},                      // whole lines only
	}
	for _, tc := range cases {
		err := matchOutput(tc.want, got)
		if (err == nil) != tc.ok {
			t.Errorf("matchOutput(%q) = %v, want ok=%v", tc.want, err, tc.ok)
		}
	}
}
