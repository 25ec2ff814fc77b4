package core

import (
	"slices"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage/inmem"
	"github.com/vaultd/vaultd/test/testclock"
)

// TestRenewHandsTheEngineTheIncrement: a renewal tells the engine the
// increment the client asked for, and zero when it asked for none (what
// Vault Agent sends), so the engine can apply its own default TTL as
// Vault's engines do; an increment is never carried over to a later
// renewal.
func TestRenewHandsTheEngineTheIncrement(t *testing.T) {
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	backend := &leasingBackend{}
	f, _ := startLeaseFixture(t, inmem.New(), clock, backend)
	id := f.must(logical.ReadOperation, "db/creds", nil).Secret.LeaseID

	f.must(logical.UpdateOperation, "sys/leases/renew", map[string]any{"lease_id": id})
	f.must(logical.UpdateOperation, "sys/leases/renew", map[string]any{"lease_id": id, "increment": "2h"})
	f.must(logical.UpdateOperation, "sys/leases/renew", map[string]any{"lease_id": id, "increment": 0})
	f.must(logical.UpdateOperation, "sys/renew/"+id, map[string]any{"increment": 90})

	want := []time.Duration{0, 2 * time.Hour, 0, 90 * time.Second}
	backend.mu.Lock()
	got := slices.Clone(backend.increments)
	backend.mu.Unlock()
	if !slices.Equal(got, want) {
		t.Fatalf("the engine saw increments %v, want %v", got, want)
	}
}
