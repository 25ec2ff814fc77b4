package core

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/vaultd/vaultd/cubbyhole"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/inmem"
	"github.com/vaultd/vaultd/test/testclock"
)

// leasingBackend hands out a leased secret on every read of "creds" and
// records the revocations core asks of it, like a dynamic-secrets engine.
type leasingBackend struct {
	mu      sync.Mutex
	revoked []string
	renewed int
	// increments are the Secret.Increment of each renew request.
	increments []time.Duration
}

func (b *leasingBackend) HandleRequest(_ context.Context, req *logical.Request) (*logical.Response, error) {
	switch req.Operation {
	case logical.ReadOperation:
		return &logical.Response{
			Data:   map[string]any{"username": "u-" + req.ID},
			Secret: &logical.Secret{TTL: time.Hour, Renewable: true, InternalData: map[string]any{"user": "u-" + req.ID}},
		}, nil
	case logical.RenewOperation:
		b.mu.Lock()
		b.renewed++
		b.increments = append(b.increments, req.Secret.Increment)
		b.mu.Unlock()
		return &logical.Response{Secret: req.Secret}, nil
	case logical.RevokeOperation:
		b.mu.Lock()
		b.revoked = append(b.revoked, req.Secret.InternalData["user"].(string))
		b.mu.Unlock()
		return nil, nil
	}
	return nil, logical.ErrUnsupportedOperation
}

func (b *leasingBackend) ExistenceCheck(context.Context, *logical.Request) (bool, bool, error) {
	return false, false, nil
}

func (b *leasingBackend) SpecialPaths() logical.SpecialPaths { return logical.SpecialPaths{} }

func (b *leasingBackend) revokedCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.revoked)
}

type leaseFixture struct {
	t       *testing.T
	c       *Core
	root    string
	clock   *testclock.Clock
	backend *leasingBackend
}

func newLeaseFixture(t *testing.T, phys storage.Backend, clock *testclock.Clock, backend *leasingBackend) *leaseFixture {
	t.Helper()
	c, err := New(context.Background(), Config{
		Physical: phys,
		Clock:    clock.Now,
		Engines: map[string]logical.Factory{
			"cubbyhole": cubbyhole.Factory,
			"leasing":   func(context.Context, *logical.BackendConfig) (logical.Backend, error) { return backend, nil },
		},
		MaxLeaseTTL: 4 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &leaseFixture{t: t, c: c, clock: clock, backend: backend}
}

// startLeaseFixture builds a core on a new in-memory store, initialises
// and unseals it, and mounts the leasing engine at db/.
func startLeaseFixture(t *testing.T, phys storage.Backend, clock *testclock.Clock, backend *leasingBackend) (*leaseFixture, *InitResult) {
	t.Helper()
	f := newLeaseFixture(t, phys, clock, backend)
	res := initCore(t, f.c, 1, 1)
	f.root = res.RootToken
	unsealWith(t, f.c, res.Shares[0])
	f.must(logical.UpdateOperation, "sys/mounts/db", map[string]any{"type": "leasing"})
	return f, res
}

func (f *leaseFixture) do(op logical.Operation, path string, data map[string]any) (*logical.Response, error) {
	return f.c.HandleRequest(context.Background(), &logical.Request{Operation: op, Path: path, ClientToken: f.root, Data: data})
}

func (f *leaseFixture) must(op logical.Operation, path string, data map[string]any) *logical.Response {
	f.t.Helper()
	resp, err := f.do(op, path, data)
	if err != nil {
		f.t.Fatalf("%s %s: %v", op, path, err)
	}
	return resp
}

func TestSecretLeaseLifecycle(t *testing.T) {
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	backend := &leasingBackend{}
	f, _ := startLeaseFixture(t, inmem.New(), clock, backend)

	first := f.must(logical.ReadOperation, "db/creds", nil)
	if first.Secret == nil || first.Secret.LeaseID == "" || first.Secret.TTL != time.Hour {
		t.Fatalf("leased read: %+v", first.Secret)
	}
	id := first.Secret.LeaseID

	look := f.must(logical.UpdateOperation, "sys/leases/lookup", map[string]any{"lease_id": id})
	if look.Data["id"] != id || look.Data["ttl"] != int64(3600) || look.Data["renewable"] != true {
		t.Fatalf("lookup: %v", look.Data)
	}

	clock.Advance(30 * time.Minute)
	renewed := f.must(logical.UpdateOperation, "sys/leases/renew", map[string]any{"lease_id": id, "increment": "2h"})
	if renewed.Secret.TTL != 2*time.Hour || backend.renewed != 1 {
		t.Fatalf("renew: ttl %s, engine renewed %d times", renewed.Secret.TTL, backend.renewed)
	}
	// A renewal never reaches past issue time + the mount's max TTL (4h).
	clock.Advance(3 * time.Hour)
	capped := f.must(logical.UpdateOperation, "sys/renew/"+id, map[string]any{"increment": "2h"})
	if capped.Secret.TTL != 30*time.Minute {
		t.Fatalf("renew past the max TTL: %s, want 30m", capped.Secret.TTL)
	}

	// Revoke one lease; then revoke-prefix the rest under the mount.
	f.must(logical.UpdateOperation, "sys/leases/revoke", map[string]any{"lease_id": id})
	if backend.revokedCount() != 1 {
		t.Fatalf("revoke reached the engine %d times", backend.revokedCount())
	}
	if _, err := f.do(logical.UpdateOperation, "sys/leases/lookup", map[string]any{"lease_id": id}); logical.StatusOf(err) != http.StatusBadRequest {
		t.Fatalf("lookup of a revoked lease: %v", err)
	}
	for i := 0; i < 3; i++ {
		f.must(logical.ReadOperation, "db/creds", nil)
	}
	list := f.must(logical.ListOperation, "sys/leases/lookup/db/creds/", nil)
	if keys := list.Data["keys"].([]string); len(keys) != 3 {
		t.Fatalf("lease list: %v", keys)
	}
	f.must(logical.UpdateOperation, "sys/leases/revoke-prefix/db/", nil)
	if backend.revokedCount() != 4 {
		t.Fatalf("revoke-prefix revoked %d in all, want 4", backend.revokedCount())
	}
}

func TestLeasesExpireAndSurviveRestart(t *testing.T) {
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	backend := &leasingBackend{}
	phys := inmem.New()
	f, res := startLeaseFixture(t, phys, clock, backend)
	id := f.must(logical.ReadOperation, "db/creds", nil).Secret.LeaseID
	if err := f.c.sealNow(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The lease is still there after a seal and unseal of the same store...
	f2 := newLeaseFixture(t, phys, clock, backend)
	f2.root = res.RootToken
	unsealWith(t, f2.c, res.Shares[0])
	if _, err := f2.do(logical.UpdateOperation, "sys/leases/lookup", map[string]any{"lease_id": id}); err != nil {
		t.Fatalf("lease lost across restart: %v", err)
	}
	// ...and the reaper revokes it once its time has passed.
	clock.Advance(2 * time.Hour)
	deadline := time.Now().Add(5 * reapInterval)
	for backend.revokedCount() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if backend.revokedCount() != 1 {
		t.Fatalf("expired lease revoked %d times, want 1", backend.revokedCount())
	}
	if _, err := f2.do(logical.UpdateOperation, "sys/leases/lookup", map[string]any{"lease_id": id}); logical.StatusOf(err) != http.StatusBadRequest {
		t.Fatalf("lookup of a reaped lease: %v", err)
	}
}

func TestLeaseEndpointsBadInput(t *testing.T) {
	clock := testclock.New(time.Now())
	f, _ := startLeaseFixture(t, inmem.New(), clock, &leasingBackend{})
	for name, tc := range map[string]struct {
		path string
		data map[string]any
	}{
		"lookup without id":   {"sys/leases/lookup", nil},
		"unknown lease":       {"sys/leases/lookup", map[string]any{"lease_id": "db/creds/nope"}},
		"renew bad increment": {"sys/leases/renew", map[string]any{"lease_id": "x", "increment": "banana"}},
		"renew unknown":       {"sys/leases/renew", map[string]any{"lease_id": "db/creds/nope"}},
	} {
		if _, err := f.do(logical.UpdateOperation, tc.path, tc.data); logical.StatusOf(err) != http.StatusBadRequest {
			t.Errorf("%s: want 400, got %v", name, err)
		}
	}
	// revoke-prefix and revoke-force need sudo: a default-policy token is refused.
	tok := f.must(logical.UpdateOperation, "auth/token/create", map[string]any{"policies": []any{"default"}}).Auth.ClientToken
	resp, err := f.c.HandleRequest(context.Background(), &logical.Request{Operation: logical.UpdateOperation, Path: "sys/leases/revoke-prefix/db/", ClientToken: tok})
	if resp != nil || logical.StatusOf(err) != http.StatusForbidden {
		t.Fatalf("revoke-prefix without sudo: %v", err)
	}
}
