package policy

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary text to Parse. It must never panic; whatever it
// accepts must compile into an ACL that can be queried, and whatever it
// refuses must be classified as a bad policy.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		DefaultPolicyText,
		`path "secret/data/my-api" { capabilities = ["read"] }`,
		`path "secret/+/config/*" { capabilities = ["read", "list"] allowed_parameters = { "*" = [] "role" = ["a*", 1, true] } }`,
		`path "a" { policy = "sudo" min_wrapping_ttl = "1m" max_wrapping_ttl = 3600 required_parameters = ["x"] }`,
		`{"path": {"secret/*": {"capabilities": ["deny"], "denied_parameters": {"x": []}}}}`,
		`{"path": [{"a": {"policy": "read"}}, {"b/+": {"capabilities": ["update"]}}]}`,
		"path \"a\" {\n capabilities = <<EOF\nread\nEOF\n}",
		`path "a" "b" "c" { x = { y = [ { z = 1 } ] } }`,
		`path "\u00e9\\t" { capabilities = ["read"] }`,
		`path "a" { capabilities = ["read",] } # trailing`,
		"{\"path\": {\"a\": null}}",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Parse("fuzz", text)
		if err != nil {
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if p.Raw() != text {
			t.Fatal("Raw() lost the text")
		}
		acl, err := NewACL([]*Policy{p})
		if err != nil {
			t.Fatalf("parsed policy does not compile: %v", err)
		}
		for _, r := range p.Rules {
			acl.Capabilities(r.Pattern)
			acl.Allowed(Request{Path: r.Pattern, Operation: "update", Data: map[string]any{"role": "a,b", "x": []any{1.0, "y"}}})
		}
		acl.Allowed(Request{Path: "secret/a/b/", Operation: "list"})
		acl.HasMountAccess("secret/")
		acl.ResultantACL()
	})
}
