package core

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vaultd/vaultd/cubbyhole"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/inmem"
)

// leaseWriteFails is a physical store whose writes of secret leases fail
// once armed, standing in for a disk that fails at the wrong moment.
type leaseWriteFails struct {
	storage.Backend
	armed atomic.Bool
}

func (s *leaseWriteFails) Commit(ctx context.Context, ops []storage.Op) error {
	for _, op := range ops {
		if s.armed.Load() && strings.Contains(op.Key, expirePrefix+"lease/") {
			return errors.New("injected write failure")
		}
	}
	return s.Backend.Commit(ctx, ops)
}

// revokeCounter issues a secret on read and counts revocations.
type revokeCounter struct {
	mu      sync.Mutex
	revoked []string
}

func (b *revokeCounter) HandleRequest(_ context.Context, req *logical.Request) (*logical.Response, error) {
	if req.Operation == logical.RevokeOperation {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.revoked = append(b.revoked, req.Secret.InternalData["user"].(string))
		return nil, nil
	}
	return &logical.Response{Secret: &logical.Secret{TTL: 60e9, InternalData: map[string]any{"user": "u1"}}}, nil
}
func (*revokeCounter) ExistenceCheck(context.Context, *logical.Request) (bool, bool, error) {
	return false, false, nil
}
func (*revokeCounter) SpecialPaths() logical.SpecialPaths { return logical.SpecialPaths{} }

// TestUnregisteredSecretIsRevoked: when a secret's lease cannot be stored
// the request fails and the engine is asked to revoke the secret, so
// nothing it made (a database user) is left without a lease.
func TestUnregisteredSecretIsRevoked(t *testing.T) {
	ctx := context.Background()
	phys := &leaseWriteFails{Backend: inmem.New()}
	be := &revokeCounter{}
	c, err := New(ctx, Config{Physical: phys, StorageType: "test", Engines: map[string]logical.Factory{
		"cubbyhole": cubbyhole.Factory,
		"leaser":    func(context.Context, *logical.BackendConfig) (logical.Backend, error) { return be, nil },
	}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	res := initCore(t, c, 1, 1)
	unsealWith(t, c, res.Shares[0])
	t.Cleanup(func() { _ = c.Shutdown(ctx) })
	if _, err := c.HandleRequest(ctx, rootRequest(res.RootToken, logical.UpdateOperation, "sys/mounts/leased", map[string]any{"type": "leaser"})); err != nil {
		t.Fatalf("mount: %v", err)
	}
	phys.armed.Store(true)
	if _, err := c.HandleRequest(ctx, rootRequest(res.RootToken, logical.ReadOperation, "leased/creds", nil)); err == nil {
		t.Fatal("a read whose lease could not be stored succeeded")
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.revoked) != 1 || be.revoked[0] != "u1" {
		t.Fatalf("revocations after the failed registration: %v, want [u1]", be.revoked)
	}
}
