package e2e

import (
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// BenchmarkEntityTokenRead measures one KV read over HTTP by a token with
// a plain policy, by an entity's token whose access comes from a group,
// and by one whose policy is templated on its entity.
func BenchmarkEntityTokenRead(b *testing.B) {
	s := vaulttest.Start(b, vaulttest.Options{})
	c := s.Client
	if err := c.Sys().EnableAuthWithOptions("userpass", &api.EnableAuthOptions{Type: "userpass"}); err != nil {
		b.Fatal(err)
	}
	policies := map[string]string{
		"plain":     `path "secret/data/u/*" { capabilities = ["read"] }`,
		"templated": `path "secret/data/u/{{identity.entity.name}}" { capabilities = ["read"] }`,
	}
	for name, text := range policies {
		if err := c.Sys().PutPolicy(name, text); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := c.KVv2("secret").Put(b.Context(), "u/bench", map[string]any{"k": "v"}); err != nil {
		b.Fatal(err)
	}
	login := func(user string, policies ...string) (*api.Client, string) {
		if _, err := c.Logical().Write("auth/userpass/users/"+user, map[string]any{"password": "pw", "token_policies": policies}); err != nil {
			b.Fatal(err)
		}
		sec, err := s.NewClient("").Logical().Write("auth/userpass/login/"+user, map[string]any{"password": "pw"})
		if err != nil {
			b.Fatal(err)
		}
		return s.NewClient(sec.Auth.ClientToken), sec.Auth.EntityID
	}
	plain, _ := login("plain", "plain")
	group, gEntity := login("group")
	if _, err := c.Logical().Write("identity/group", map[string]any{"name": "g", "policies": "plain", "member_entity_ids": gEntity}); err != nil {
		b.Fatal(err)
	}
	tpl, tEntity := login("tpl", "templated")
	if _, err := c.Logical().Write("identity/entity/id/"+tEntity, map[string]any{"name": "bench"}); err != nil {
		b.Fatal(err)
	}
	for name, cl := range map[string]*api.Client{"plain": plain, "group": group, "templated": tpl} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := cl.KVv2("secret").Get(b.Context(), "u/bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWrapUnwrap measures one wrapped KV read followed by its unwrap
// (two round trips, a token created and revoked).
func BenchmarkWrapUnwrap(b *testing.B) {
	s := vaulttest.Start(b, vaulttest.Options{})
	if _, err := s.Client.KVv2("secret").Put(b.Context(), "w", map[string]any{"k": "v"}); err != nil {
		b.Fatal(err)
	}
	w, err := s.Client.Clone()
	if err != nil {
		b.Fatal(err)
	}
	w.SetToken(s.RootToken)
	w.SetWrappingLookupFunc(func(string, string) string { return "60s" })
	for b.Loop() {
		sec, err := w.Logical().Read("secret/data/w")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Client.Logical().Unwrap(sec.WrapInfo.Token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppRoleLogin measures an AppRole login with a reusable secret
// ID (HMAC, storage reads, entity lookup, token creation).
func BenchmarkAppRoleLogin(b *testing.B) {
	s := vaulttest.Start(b, vaulttest.Options{})
	c := s.Client
	if err := c.Sys().EnableAuthWithOptions("approle", &api.EnableAuthOptions{Type: "approle"}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Logical().Write("auth/approle/role/bench", map[string]any{"token_ttl": "1m"}); err != nil {
		b.Fatal(err)
	}
	rid, err := c.Logical().Read("auth/approle/role/bench/role-id")
	if err != nil {
		b.Fatal(err)
	}
	sid, err := c.Logical().Write("auth/approle/role/bench/secret-id", nil)
	if err != nil {
		b.Fatal(err)
	}
	anon := s.NewClient("")
	body := map[string]any{"role_id": rid.Data["role_id"], "secret_id": sid.Data["secret_id"]}
	for b.Loop() {
		if _, err := anon.Logical().Write("auth/approle/login", body); err != nil {
			b.Fatal(err)
		}
	}
}
