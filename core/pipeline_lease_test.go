package core

import (
	"context"
	"testing"
	"time"

	"github.com/vaultd/vaultd/cubbyhole"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage/inmem"
)

// secretBackend answers every read with a secret of a fixed TTL.
type secretBackend struct{ ttl time.Duration }

func (b secretBackend) HandleRequest(context.Context, *logical.Request) (*logical.Response, error) {
	return &logical.Response{Data: map[string]any{"k": "v"}, Secret: &logical.Secret{TTL: b.ttl, Renewable: true}}, nil
}
func (secretBackend) ExistenceCheck(context.Context, *logical.Request) (bool, bool, error) {
	return false, false, nil
}
func (secretBackend) SpecialPaths() logical.SpecialPaths { return logical.SpecialPaths{} }

// TestKVSecretsGetNoLease: a secret returned by a KV mount keeps its TTL
// (the refresh interval clients read as lease_duration) but, as in Vault,
// is not registered as a lease and is not renewable; any other engine's
// secret gets a lease ID.
func TestKVSecretsGetNoLease(t *testing.T) {
	ctx := context.Background()
	factory := func(context.Context, *logical.BackendConfig) (logical.Backend, error) {
		return secretBackend{ttl: 90 * time.Second}, nil
	}
	c, err := New(ctx, Config{Physical: inmem.New(), StorageType: "test", Engines: map[string]logical.Factory{
		"cubbyhole": cubbyhole.Factory, "kv": factory, "leaser": factory,
	}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	res := initCore(t, c, 1, 1)
	unsealWith(t, c, res.Shares[0])
	t.Cleanup(func() { _ = c.Shutdown(ctx) })
	root := res.RootToken
	for _, m := range []struct{ path, typ string }{{"kvm", "kv"}, {"leased", "leaser"}} {
		if _, err := c.HandleRequest(ctx, rootRequest(root, logical.UpdateOperation, "sys/mounts/"+m.path, map[string]any{"type": m.typ})); err != nil {
			t.Fatalf("mount %s: %v", m.typ, err)
		}
	}
	cases := []struct {
		path          string
		wantLease     bool
		wantRenewable bool
	}{
		{"kvm/a", false, false},
		{"leased/a", true, true},
	}
	for _, tc := range cases {
		resp, err := c.HandleRequest(ctx, rootRequest(root, logical.ReadOperation, tc.path, nil))
		if err != nil || resp == nil || resp.Secret == nil {
			t.Fatalf("read %s: %+v, %v", tc.path, resp, err)
		}
		if got := resp.Secret.LeaseID != ""; got != tc.wantLease {
			t.Errorf("%s: lease ID %q, want one: %v", tc.path, resp.Secret.LeaseID, tc.wantLease)
		}
		if resp.Secret.Renewable != tc.wantRenewable || resp.Secret.TTL != 90*time.Second {
			t.Errorf("%s: renewable %v TTL %v, want %v and 90s", tc.path, resp.Secret.Renewable, resp.Secret.TTL, tc.wantRenewable)
		}
	}
	leases := func(prefix string) int {
		resp, err := c.HandleRequest(ctx, rootRequest(root, logical.ListOperation, "sys/leases/lookup/"+prefix, nil))
		if err != nil || resp == nil {
			return 0
		}
		keys, _ := resp.Data["keys"].([]string)
		return len(keys)
	}
	if n := leases("leased/"); n != 1 {
		t.Errorf("leased/ has %d leases, want 1", n)
	}
	if n := leases("kvm/"); n != 0 {
		t.Errorf("a KV read registered %d leases", n)
	}
}
