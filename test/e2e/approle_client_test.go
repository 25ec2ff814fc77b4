package e2e

import (
	"slices"
	"testing"

	approleauth "github.com/hashicorp/vault/api/auth/approle"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestAppRoleClientHelperWrappedSecretID: vault/api's own AppRole login
// helper, given a wrapping token for the secret ID (WithWrappingToken),
// unwraps it and logs in, as Vault Agent does.
func TestAppRoleClientHelperWrappedSecretID(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	enableAppRole(t, c)
	must(t, c.Sys().PutPolicy("ci", `path "secret/data/ci/*" { capabilities = ["read"] }`), "policy")
	_, err := c.Logical().Write("auth/approle/role/ci", map[string]any{"token_policies": "ci"})
	must(t, err, "role")
	w, err := wrapped(t, c, "60s").Logical().Write("auth/approle/role/ci/secret-id", nil)
	must(t, err, "wrapped secret-id")

	method, err := approleauth.NewAppRoleAuth(roleID(t, c, "ci"), &approleauth.SecretID{FromString: w.WrapInfo.Token}, approleauth.WithWrappingToken())
	must(t, err, "helper")
	sec, err := s.NewClient("").Auth().Login(t.Context(), method)
	must(t, err, "login through the helper")
	if !slices.Contains(sec.Auth.Policies, "ci") || sec.Auth.EntityID == "" {
		t.Fatalf("helper login: %+v", sec.Auth)
	}
	_, err = s.NewClient("").Auth().Login(t.Context(), method)
	if err == nil {
		t.Fatal("the helper logged in twice with one wrapping token")
	}
}
