package policy

import (
	"testing"
)

func TestTemplatedPolicyRender(t *testing.T) {
	p, err := Parse("ns", `
path "secret/data/{{identity.entity.aliases.auth_kubernetes_1234.metadata.service_account_namespace}}/*" {
  capabilities = ["read"]
}
path "secret/data/users/{{identity.entity.name}}" { capabilities = ["read"] }
path "secret/data/by-id/{{ identity.entity.id }}" { capabilities = ["read"] }
path "secret/data/groups/{{identity.groups.names.ops.id}}" { capabilities = ["read"] }
path "secret/data/shared" { capabilities = ["read"] }
`)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Templated() {
		t.Fatal("not marked templated")
	}
	plain, err := NewACL([]*Policy{p})
	if err != nil {
		t.Fatal(err)
	}
	if !plain.Templated() || plain.Allowed(Request{Path: "secret/data/a/x", Operation: "read"}).Allowed {
		t.Fatal("an unrendered template grants access")
	}
	if !plain.Allowed(Request{Path: "secret/data/shared", Operation: "read"}).Allowed {
		t.Fatal("the plain rule is lost")
	}
	id := &Identity{
		EntityID: "e-1", EntityName: "alice",
		Aliases: map[string]IdentityAlias{"auth_kubernetes_1234": {Name: "uid", Metadata: map[string]string{"service_account_namespace": "a"}}},
		Groups:  map[string]string{"g-1": "ops"},
	}
	acl, err := NewACL([]*Policy{p.Render(id)})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		"secret/data/a/x": true, "secret/data/b/x": false,
		"secret/data/users/alice": true, "secret/data/users/bob": false,
		"secret/data/by-id/e-1": true, "secret/data/groups/g-1": true,
		"secret/data/shared": true,
	} {
		if got := acl.Allowed(Request{Path: path, Operation: "read"}).Allowed; got != want {
			t.Errorf("%s: allowed %v, want %v", path, got, want)
		}
	}
	// An entity without the alias gets no namespace rule at all.
	bare, err := NewACL([]*Policy{p.Render(&Identity{EntityID: "e-2", EntityName: "bob"})})
	if err != nil {
		t.Fatal(err)
	}
	if bare.Allowed(Request{Path: "secret/data/a/x", Operation: "read"}).Allowed || bare.Allowed(Request{Path: "secret/data//x", Operation: "read"}).Allowed {
		t.Fatal("a missing template value granted access")
	}
}
