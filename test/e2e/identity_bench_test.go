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
