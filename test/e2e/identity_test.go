package e2e

import (
	"net/http"
	"slices"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

func userpassUser(t *testing.T, s *vaulttest.Server, name, password string, policies ...string) {
	t.Helper()
	_, err := s.Client.Logical().Write("auth/userpass/users/"+name, map[string]any{"password": password, "token_policies": policies})
	must(t, err, "create user "+name)
}

func userpassLogin(t *testing.T, s *vaulttest.Server, name, password string) *api.Secret {
	t.Helper()
	sec, err := s.NewClient("").Logical().Write("auth/userpass/login/"+name, map[string]any{"password": password})
	must(t, err, "login "+name)
	return sec
}

// TestIdentityEntityCRUDAndLogins: entities by id and name; a userpass
// login creates the user's entity once; the entity's own policies and a
// policy templated on its name reach the token.
func TestIdentityEntityCRUDAndLogins(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	must(t, c.Sys().EnableAuthWithOptions("userpass", &api.EnableAuthOptions{Type: "userpass"}), "enable userpass")
	auths, err := c.Sys().ListAuth()
	must(t, err, "list auth")
	upAcc := auths["userpass/"].Accessor

	made, err := c.Logical().Write("identity/entity", map[string]any{"name": "ops-bot", "policies": "p1", "metadata": map[string]any{"team": "ops"}})
	must(t, err, "create entity")
	id := made.Data["id"].(string)
	got, err := c.Logical().Read("identity/entity/name/ops-bot")
	must(t, err, "read by name")
	if got.Data["id"] != id || got.Data["metadata"].(map[string]any)["team"] != "ops" {
		t.Fatalf("read by name: %v", got.Data)
	}
	_, err = c.Logical().Write("identity/entity/id/"+id, map[string]any{"policies": "p1,p2"})
	must(t, err, "update by id")
	got, err = c.Logical().Read("identity/entity/id/" + id)
	must(t, err, "read by id")
	if pols := got.Data["policies"].([]any); len(pols) != 2 {
		t.Fatalf("policies after update: %v", pols)
	}
	names, err := c.Logical().List("identity/entity/name")
	must(t, err, "list names")
	if keys := names.Data["keys"].([]any); len(keys) != 1 || keys[0] != "ops-bot" {
		t.Fatalf("names: %v", keys)
	}
	_, err = c.Logical().Delete("identity/entity/name/ops-bot")
	must(t, err, "delete")
	if gone, err := c.Logical().Read("identity/entity/id/" + id); err != nil || gone != nil {
		t.Fatalf("deleted entity still reads: %v %v", gone, err)
	}

	userpassUser(t, s, "alice", "pw", "default")
	first := userpassLogin(t, s, "alice", "pw")
	second := userpassLogin(t, s, "alice", "pw")
	eid := first.Auth.EntityID
	if eid == "" || second.Auth.EntityID != eid {
		t.Fatalf("entity ids %q and %q", eid, second.Auth.EntityID)
	}
	look, err := c.Logical().Write("identity/lookup/entity", map[string]any{"alias_name": "alice", "alias_mount_accessor": upAcc})
	must(t, err, "lookup by alias")
	if look.Data["id"] != eid {
		t.Fatalf("lookup: %v", look.Data)
	}

	// The entity's policies and a template on its name, both at request time.
	_, err = c.KVv2("secret").Put(t.Context(), "users/alice/notes", map[string]any{"v": 1})
	must(t, err, "put")
	_, err = c.KVv2("secret").Put(t.Context(), "team", map[string]any{"v": 1})
	must(t, err, "put")
	must(t, c.Sys().PutPolicy("own-dir", `path "secret/data/users/{{identity.entity.name}}/*" { capabilities = ["read"] }`), "templated policy")
	must(t, c.Sys().PutPolicy("team-reader", `path "secret/data/team" { capabilities = ["read"] }`), "policy")
	alice := s.NewClient(first.Auth.ClientToken)
	_, err = alice.KVv2("secret").Get(t.Context(), "team")
	wantStatus(t, err, http.StatusForbidden, "before entity policies")
	_, err = c.Logical().Write("identity/entity/id/"+eid, map[string]any{"name": "alice", "policies": "own-dir,team-reader"})
	must(t, err, "give the entity a name and policies")
	_, err = alice.KVv2("secret").Get(t.Context(), "team")
	must(t, err, "entity policy reaches the token")
	_, err = alice.KVv2("secret").Get(t.Context(), "users/alice/notes")
	must(t, err, "templated entity name")
	_, err = c.KVv2("secret").Put(t.Context(), "users/bob/notes", map[string]any{"v": 1})
	must(t, err, "put bob")
	_, err = alice.KVv2("secret").Get(t.Context(), "users/bob/notes")
	wantStatus(t, err, http.StatusForbidden, "another user's directory")

	// The template follows the entity (renamed) and the policy (rewritten).
	_, err = c.Logical().Write("identity/entity/id/"+eid, map[string]any{"name": "bob"})
	must(t, err, "rename entity")
	_, err = alice.KVv2("secret").Get(t.Context(), "users/bob/notes")
	must(t, err, "template after rename")
	_, err = alice.KVv2("secret").Get(t.Context(), "users/alice/notes")
	wantStatus(t, err, http.StatusForbidden, "old name after rename")
	must(t, c.Sys().PutPolicy("own-dir", `path "secret/data/users/{{identity.entity.name}}/other" { capabilities = ["read"] }`), "rewrite templated policy")
	_, err = alice.KVv2("secret").Get(t.Context(), "users/bob/notes")
	wantStatus(t, err, http.StatusForbidden, "template after the policy changed")
	_, err = c.Logical().Write("identity/entity/id/"+eid, map[string]any{"name": "alice"})
	must(t, err, "rename back")
	again := userpassLogin(t, s, "alice", "pw")
	if !slices.Equal(again.Auth.IdentityPolicies, []string{"own-dir", "team-reader"}) || !slices.Contains(again.Auth.Policies, "team-reader") ||
		slices.Contains(again.Auth.TokenPolicies, "team-reader") {
		t.Fatalf("login policies %v token %v identity %v", again.Auth.Policies, again.Auth.TokenPolicies, again.Auth.IdentityPolicies)
	}
	self, err := s.NewClient(again.Auth.ClientToken).Auth().Token().LookupSelf()
	must(t, err, "lookup-self")
	if ip, _ := self.Data["identity_policies"].([]any); len(ip) != 2 || ip[0] != "own-dir" {
		t.Fatalf("lookup-self identity_policies: %v", self.Data["identity_policies"])
	}

	// A disabled entity's tokens stop working.
	_, err = c.Logical().Write("identity/entity/id/"+eid, map[string]any{"disabled": true})
	must(t, err, "disable")
	_, err = alice.KVv2("secret").Get(t.Context(), "team")
	wantStatus(t, err, http.StatusForbidden, "disabled entity")
}

// TestIdentityAliasesAndBadInput: an alias joins an entity; an alias for an
// unknown mount accessor and the other bad inputs are 400s that create
// nothing.
func TestIdentityAliasesAndBadInput(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	must(t, c.Sys().EnableAuthWithOptions("userpass", &api.EnableAuthOptions{Type: "userpass"}), "enable userpass")
	auths, err := c.Sys().ListAuth()
	must(t, err, "list auth")
	upAcc := auths["userpass/"].Accessor

	made, err := c.Logical().Write("identity/entity", map[string]any{"name": "carol"})
	must(t, err, "entity")
	eid := made.Data["id"].(string)
	al, err := c.Logical().Write("identity/entity-alias", map[string]any{"name": "carol", "mount_accessor": upAcc, "canonical_id": eid})
	must(t, err, "alias")
	if al.Data["canonical_id"] != eid {
		t.Fatalf("alias: %v", al.Data)
	}
	userpassUser(t, s, "carol", "pw")
	if got := userpassLogin(t, s, "carol", "pw").Auth.EntityID; got != eid {
		t.Fatalf("login found entity %q, want the aliased %q", got, eid)
	}

	count := func(path string) int {
		l, err := c.Logical().List(path)
		must(t, err, "list "+path)
		if l == nil {
			return 0
		}
		return len(l.Data["keys"].([]any))
	}
	entities, aliases, groups := count("identity/entity/id"), count("identity/entity-alias/id"), count("identity/group/id")
	for _, tc := range []struct {
		name, path string
		body       map[string]any
	}{
		{"alias for an unknown mount accessor", "identity/entity-alias", map[string]any{"name": "x", "mount_accessor": "auth_userpass_nope"}},
		{"alias without name", "identity/entity-alias", map[string]any{"mount_accessor": upAcc}},
		{"duplicate alias", "identity/entity-alias", map[string]any{"name": "carol", "mount_accessor": upAcc}},
		{"alias for unknown entity", "identity/entity-alias", map[string]any{"name": "y", "mount_accessor": upAcc, "canonical_id": "nope"}},
		{"entity name in use", "identity/entity", map[string]any{"id": eid, "name": "carol2"}},
		{"entity with root", "identity/entity", map[string]any{"name": "r", "policies": "root"}},
		{"entity bad disabled", "identity/entity", map[string]any{"name": "r", "disabled": "maybe"}},
		{"group with unknown member", "identity/group", map[string]any{"name": "g", "member_entity_ids": "nope"}},
		{"external group", "identity/group", map[string]any{"name": "g", "type": "external"}},
		{"lookup without parameters", "identity/lookup/entity", map[string]any{}},
		{"lookup with half an alias", "identity/lookup/entity", map[string]any{"alias_name": "carol"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "entity name in use" {
				_, err := c.Logical().Write("identity/entity", map[string]any{"name": "carol2"})
				must(t, err, "second entity")
				entities++
			}
			_, err := c.Logical().Write(tc.path, tc.body)
			wantStatus(t, err, http.StatusBadRequest, tc.name)
		})
	}
	if e, a, g := count("identity/entity/id"), count("identity/entity-alias/id"), count("identity/group/id"); e != entities || a != aliases || g != groups {
		t.Fatalf("bad input created something: entities %d→%d aliases %d→%d groups %d→%d", entities, e, aliases, a, groups, g)
	}
	ent, err := c.Logical().Read("identity/entity/id/" + eid)
	must(t, err, "read")
	if ent.Data["name"] != "carol" || !slices.ContainsFunc(ent.Data["aliases"].([]any), func(a any) bool { return a.(map[string]any)["mount_accessor"] == upAcc }) {
		t.Fatalf("entity after bad input: %v", ent.Data)
	}
	// Disabling the auth mount drops its aliases; the entity stays.
	must(t, c.Sys().DisableAuth("userpass"), "disable userpass")
	if n := count("identity/entity-alias/id"); n != 0 {
		t.Fatalf("%d aliases left after their mount was disabled", n)
	}
	if e, err := c.Logical().Read("identity/entity/id/" + eid); err != nil || e == nil {
		t.Fatalf("the entity went with its mount: %v %v", e, err)
	}
	// identity/ is built in: it cannot be disabled or mounted again.
	wantStatus(t, c.Sys().Unmount("identity"), http.StatusBadRequest, "unmount identity")
	wantStatus(t, c.Sys().Mount("ident2", &api.MountInput{Type: "identity"}), http.StatusBadRequest, "mount another identity")
}
