package policy

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestWalkthroughPolicy is the promise of the walkthrough: a backend
// service can read secret/data/my-api but not secret/data/payment-processor.
func TestWalkthroughPolicy(t *testing.T) {
	acl := compile(t, `path "secret/data/my-api" { capabilities = ["read"] }`)
	check := func(path, op string, want bool) {
		t.Helper()
		r := acl.Allowed(Request{Path: path, Operation: op})
		if r.Allowed != want {
			t.Errorf("%s %s: Allowed = %v, want %v (%s)", op, path, r.Allowed, want, r.Reason)
		}
	}
	check("secret/data/my-api", "read", true)
	check("secret/data/payment-processor", "read", false)
	for _, op := range []string{"create", "update", "patch", "delete"} {
		check("secret/data/my-api", op, false)
		check("secret/data/payment-processor", op, false)
	}
	check("secret/metadata/", "list", false)
	check("secret/metadata", "list", false)
	check("secret/metadata/my-api", "read", false)
	check("secret/data/my-api/", "list", false)

	if got := acl.Capabilities("secret/data/my-api"); !slices.Equal(got, []string{"read"}) {
		t.Errorf("Capabilities(my-api) = %v", got)
	}
	if got := acl.Capabilities("secret/data/payment-processor"); !slices.Equal(got, []string{"deny"}) {
		t.Errorf("Capabilities(payment-processor) = %v", got)
	}
}

func TestRootACL(t *testing.T) {
	acl, err := NewACL([]*Policy{RootPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	if !acl.IsRoot() {
		t.Fatal("root ACL does not report IsRoot")
	}
	for _, op := range []string{"create", "read", "update", "patch", "delete", "list"} {
		r := acl.Allowed(Request{Path: "sys/raw/anything", Operation: op, SudoRequired: true, Data: map[string]any{"x": 1}})
		if !r.Allowed || !r.RootPrivs || !r.IsRoot {
			t.Errorf("root %s: %+v", op, r)
		}
	}
	if got := acl.Capabilities("any/path"); !slices.Equal(got, []string{"root"}) {
		t.Errorf("root Capabilities = %v, want [root]", got)
	}
	if !acl.HasMountAccess("secret/") {
		t.Error("root has no mount access")
	}
	if got := acl.ResultantACL(); !reflect.DeepEqual(got, map[string]any{"root": true}) {
		t.Errorf("root ResultantACL = %v", got)
	}
	if RootPolicy().Raw() != "" || !RootPolicy().IsRoot() {
		t.Error("root policy has text or is not flagged")
	}
}

func TestRootMustBeAlone(t *testing.T) {
	def, err := DefaultPolicy()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewACL([]*Policy{RootPolicy(), def}); err == nil {
		t.Error("root with another policy was accepted")
	}
	// A policy merely named root, not the built-in one, must not become root.
	fake := &Policy{Name: Root, Rules: []*Rule{{Pattern: "*", Capabilities: []string{"read"}}}}
	if _, err := NewACL([]*Policy{fake}); err == nil {
		t.Error("a hand-built policy named root was accepted")
	}
}

func TestNewACLRejectsBadHandBuiltRule(t *testing.T) {
	p := &Policy{Name: "x", Rules: []*Rule{{Pattern: "a", Capabilities: []string{"write"}}}}
	if _, err := NewACL([]*Policy{p}); err == nil || !strings.Contains(err.Error(), "invalid capability") {
		t.Errorf("NewACL error = %v", err)
	}
	// Nil policies and rules are skipped.
	acl, err := NewACL([]*Policy{nil, {Name: "y", Rules: []*Rule{nil}}})
	if err != nil {
		t.Fatal(err)
	}
	if acl.Allowed(Request{Path: "a", Operation: "read"}).Allowed {
		t.Error("empty ACL allowed a read")
	}
}

func TestNewACLDoesNotAlterPolicies(t *testing.T) {
	a := mustParse(t, `path "p" { capabilities = ["update"] allowed_parameters = { "role" = ["a"] } }`)
	b := mustParse(t, `path "p" { capabilities = ["read"] allowed_parameters = { "role" = ["b"] } required_parameters = ["x"] }`)
	before := *a.Rules[0]
	beforeAllowed := slices.Clone(a.Rules[0].AllowedParameters["role"])
	if _, err := NewACL([]*Policy{a, b}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Rules[0].AllowedParameters["role"], beforeAllowed) || len(a.Rules[0].RequiredParameters) != len(before.RequiredParameters) {
		t.Errorf("merging changed the first policy's rule: %+v", a.Rules[0])
	}
}

func TestDefaultPolicy(t *testing.T) {
	def, err := DefaultPolicy()
	if err != nil {
		t.Fatal(err)
	}
	if def.Name != Default || def.Raw() != DefaultPolicyText {
		t.Fatalf("default policy name %q / raw text not kept", def.Name)
	}
	acl, err := NewACL([]*Policy{def})
	if err != nil {
		t.Fatal(err)
	}
	allowed := []Request{
		{Path: "auth/token/lookup-self", Operation: "read"},
		{Path: "auth/token/renew-self", Operation: "update"},
		{Path: "auth/token/revoke-self", Operation: "update"},
		{Path: "sys/capabilities-self", Operation: "update"},
		{Path: "sys/internal/ui/resultant-acl", Operation: "read"},
		{Path: "sys/renew", Operation: "update"},
		{Path: "sys/leases/renew", Operation: "update"},
		{Path: "sys/leases/lookup", Operation: "update"},
		{Path: "cubbyhole/mine", Operation: "create"},
		{Path: "cubbyhole/", Operation: "list"},
		{Path: "cubbyhole/mine", Operation: "delete"},
		{Path: "sys/wrapping/wrap", Operation: "update"},
		{Path: "sys/wrapping/lookup", Operation: "update"},
		{Path: "sys/wrapping/unwrap", Operation: "update"},
		{Path: "sys/tools/hash", Operation: "update"},
		{Path: "sys/tools/hash/sha2-256", Operation: "update"},
		{Path: "identity/oidc/provider/p1/authorize", Operation: "read"},
	}
	for _, r := range allowed {
		if res := acl.Allowed(r); !res.Allowed {
			t.Errorf("default policy refuses %s %s: %s", r.Operation, r.Path, res.Reason)
		}
	}
	refused := []Request{
		{Path: "auth/token/lookup-self", Operation: "update"},
		{Path: "auth/token/create", Operation: "update"},
		{Path: "secret/data/x", Operation: "read"},
		{Path: "sys/policies/acl/default", Operation: "update"},
		{Path: "sys/leases/lookup/x", Operation: "list"},
		{Path: "cubbyhole/mine", Operation: "patch"},
	}
	for _, r := range refused {
		if res := acl.Allowed(r); res.Allowed {
			t.Errorf("default policy allows %s %s", r.Operation, r.Path)
		}
	}
}

func TestCapabilities(t *testing.T) {
	acl := compile(t,
		`path "secret/*" { capabilities = ["read", "list"] }
		 path "secret/admin" { capabilities = ["sudo", "update", "create", "delete", "patch"] }
		 path "secret/+/locked" { capabilities = ["deny"] }
		 path "kv/metadata" { capabilities = ["list"] }`,
		`path "secret/*" { capabilities = ["update"] }`)
	cases := map[string][]string{
		"secret/x":        {"list", "read", "update"},
		"secret/admin":    {"create", "delete", "patch", "sudo", "update"},
		"secret/a/locked": {"deny"},
		"nowhere":         {"deny"},
		"kv/metadata/":    {"list"}, // list semantics: the trailing slash is trimmed
		"/secret/x":       {"list", "read", "update"},
	}
	for path, want := range cases {
		if got := acl.Capabilities(path); !slices.Equal(got, want) {
			t.Errorf("Capabilities(%q) = %v, want %v", path, got, want)
		}
	}
	// The returned slice is the caller's own.
	got := acl.Capabilities("secret/x")
	got[0] = "mutated"
	if acl.Capabilities("secret/x")[0] != "list" {
		t.Error("Capabilities returned the ACL's own slice")
	}
}

func TestGrantingPolicies(t *testing.T) {
	a, _ := Parse("a", `path "s/x" { capabilities = ["read"] }`)
	b, _ := Parse("b", `path "s/x" { capabilities = ["read", "update"] }`)
	acl, err := NewACL([]*Policy{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if got := acl.Allowed(Request{Path: "s/x", Operation: "read"}).GrantingPolicies; !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("read granted by %v, want [a b]", got)
	}
	if got := acl.Allowed(Request{Path: "s/x", Operation: "update"}).GrantingPolicies; !slices.Equal(got, []string{"b"}) {
		t.Errorf("update granted by %v, want [b]", got)
	}
}

func TestHasMountAccess(t *testing.T) {
	cases := []struct {
		name   string
		policy string
		mount  string
		want   bool
	}{
		{"exact_rule_below_mount", `path "secret/data/app" { capabilities = ["read"] }`, "secret/", true},
		{"glob_rule_below_mount", `path "secret/data/*" { capabilities = ["read"] }`, "secret", true},
		{"glob_rule_above_mount", `path "sec*" { capabilities = ["list"] }`, "secret/", true},
		{"plus_rule_below_mount", `path "+/data/app" { capabilities = ["read"] }`, "secret/", true},
		{"plus_rule_deeper_mount", `path "auth/+/login" { capabilities = ["update"] }`, "auth/kubernetes/", true},
		{"deny_rule_only", `path "secret/data/app" { capabilities = ["deny"] }`, "secret/", false},
		{"other_mount", `path "kv/data/app" { capabilities = ["read"] }`, "secret/", false},
		{"plus_rule_other_mount", `path "auth/+/login" { capabilities = ["update"] }`, "secret/", false},
		{"sibling_name_prefix", `path "secrets/x" { capabilities = ["read"] }`, "secret/", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			acl := compile(t, tc.policy)
			if got := acl.HasMountAccess(tc.mount); got != tc.want {
				t.Errorf("HasMountAccess(%q) = %v, want %v", tc.mount, got, tc.want)
			}
		})
	}
}

func TestResultantACL(t *testing.T) {
	acl := compile(t,
		`path "secret/data/app" { capabilities = ["read", "update", "patch"] allowed_parameters = { "a" = ["x"] } min_wrapping_ttl = 60 }
		 path "secret/*" { capabilities = ["list"] required_parameters = ["r"] }
		 path "auth/+/login" { capabilities = ["update"] }
		 path "sys/*" { capabilities = ["deny"] }`)
	got := acl.ResultantACL()
	want := map[string]any{
		"root": false,
		"exact_paths": map[string]any{
			"secret/data/app": map[string]any{
				"capabilities":       []string{"read", "update", "patch"},
				"allowed_parameters": map[string][]any{"a": {"x"}},
				"min_wrapping_ttl":   int64(60),
			},
		},
		"glob_paths": map[string]any{
			"secret/":      map[string]any{"capabilities": []string{"list"}, "required_parameters": []string{"r"}},
			"sys/":         map[string]any{"capabilities": []string{"deny"}},
			"auth/+/login": map[string]any{"capabilities": []string{"update"}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ResultantACL =\n%#v\nwant\n%#v", got, want)
	}
}

func TestWrapTTLParsing(t *testing.T) {
	for text, want := range map[string]time.Duration{
		`min_wrapping_ttl = 90`:      90 * time.Second,
		`min_wrapping_ttl = "90"`:    90 * time.Second,
		`min_wrapping_ttl = "90s"`:   90 * time.Second,
		`min_wrapping_ttl = "1h"`:    time.Hour,
		`min_wrapping_ttl = "2d"`:    48 * time.Hour,
		`min_wrapping_ttl = 1.5`:     time.Second, // seconds, truncated as Vault does
		`min_wrapping_ttl = "1h30m"`: 90 * time.Minute,
	} {
		p, err := Parse("w", `path "a" { capabilities = ["read"] `+text+` }`)
		if err != nil {
			t.Errorf("%s: %v", text, err)
			continue
		}
		if got := p.Rules[0].MinWrappingTTL; got != want {
			t.Errorf("%s: %v, want %v", text, got, want)
		}
	}
}

func TestErrorsAreClassified(t *testing.T) {
	_, err := Parse("ok", `path "a" { capabilities = ["nope"] }`)
	if !errors.Is(err, ErrInvalidPolicy) || errors.Is(err, ErrInvalidName) {
		t.Errorf("capability error classified wrongly: %v", err)
	}
	_, err = Parse("a/b", `path "a" { capabilities = ["read"] }`)
	if !errors.Is(err, ErrInvalidName) || errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("name error classified wrongly: %v", err)
	}
}
