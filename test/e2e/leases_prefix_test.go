package e2e

import (
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestRevokePrefixMatchesWholeSegments: sys/leases/revoke-prefix and
// revoke-force match whole path segments, as Vault does by appending "/"
// to the prefix: auth/tok revokes nothing of auth/token/, and auth/token
// revokes the tokens created there.
func TestRevokePrefixMatchesWholeSegments(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	newToken := func() string {
		t.Helper()
		sec, err := c.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"default"}, TTL: "1h"})
		must(t, err, "create token")
		return sec.Auth.ClientToken
	}
	alive := func(tok string) bool {
		t.Helper()
		_, err := c.Auth().Token().Lookup(tok)
		return err == nil
	}
	for _, op := range []string{"revoke-prefix", "revoke-force"} {
		t.Run(op, func(t *testing.T) {
			tok := newToken()
			for _, partial := range []string{"auth/tok", "auth/token/cre", "auth/to"} {
				_, err := c.Logical().Write("sys/leases/"+op+"/"+partial, nil)
				must(t, err, op+" "+partial)
				if !alive(tok) {
					t.Fatalf("%s/%s revoked a token created under auth/token/create", op, partial)
				}
			}
			_, err := c.Logical().Write("sys/leases/"+op+"/auth/token/create", nil)
			must(t, err, op+" auth/token/create")
			if alive(tok) {
				t.Fatalf("%s/auth/token/create left the token alive", op)
			}
			if !alive(s.RootToken) {
				t.Fatal("the root token was revoked")
			}
		})
	}
}
