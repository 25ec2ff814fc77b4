package approle

import (
	"context"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// TestSecretIDsStoredHashed: after issuing a random and a custom secret
// ID, no key or value in the mount's storage holds either in plain text.
func TestSecretIDsStoredHashed(t *testing.T) {
	ctx := context.Background()
	be, err := Factory(ctx, &logical.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	s := logical.NewInmemStorage()
	do := func(path string, data map[string]any) *logical.Response {
		t.Helper()
		resp, err := be.HandleRequest(ctx, &logical.Request{Operation: logical.UpdateOperation, Path: path, Data: data, Storage: s})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return resp
	}
	do("role/ci", map[string]any{"token_policies": "a"})
	random := do("role/ci/secret-id", nil).Data["secret_id"].(string)
	do("role/ci/custom-secret-id", map[string]any{"secret_id": "custom-value-123"})
	if login := do("login", map[string]any{"role_id": roleIDOf(t, be, s), "secret_id": random}); login.Auth == nil {
		t.Fatal("login failed")
	}
	var walk func(prefix string)
	walk = func(prefix string) {
		keys, err := s.List(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			full := prefix + k
			if strings.HasSuffix(k, "/") {
				walk(full)
				continue
			}
			e, _ := s.Get(ctx, full)
			for _, secret := range []string{random, "custom-value-123"} {
				if strings.Contains(full, secret) || strings.Contains(string(e.Value), secret) {
					t.Fatalf("storage entry %q holds a secret ID in plain text", full)
				}
			}
		}
	}
	walk("")
}

func roleIDOf(t *testing.T, be logical.Backend, s logical.Storage) string {
	t.Helper()
	resp, err := be.HandleRequest(context.Background(), &logical.Request{Operation: logical.ReadOperation, Path: "role/ci/role-id", Storage: s})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Data["role_id"].(string)
}
