package kv

import (
	"regexp"
	"testing"
)

// Every endpoint V2 dispatches has a help entry whose pattern matches a
// path of that endpoint.
func TestV2HelpTable(t *testing.T) {
	b := &V2{}
	for _, p := range []string{"config", "data/a/b", "metadata/a", "metadata/", "delete/a", "undelete/a", "destroy/a", "subkeys/a"} {
		h, ok := b.Help(p)
		if !ok {
			t.Fatalf("no help for %s", p)
		}
		if !regexp.MustCompile("^" + h.Pattern + "$").MatchString(p) {
			t.Errorf("pattern %q does not match %q", h.Pattern, p)
		}
	}
	if _, ok := b.Help("bogus/x"); ok {
		t.Error("help for an endpoint V2 does not serve")
	}
}
