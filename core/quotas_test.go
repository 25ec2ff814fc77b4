package core

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage/inmem"
	"github.com/vaultd/vaultd/test/testclock"
)

func TestRateQuotaRefillAndBlock(t *testing.T) {
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f, res := startLeaseFixture(t, inmem.New(), clock, &leasingBackend{})
	ctx := context.Background()
	f.must(logical.UpdateOperation, "sys/quotas/rate-limit/db", map[string]any{"path": "db/", "rate": "10", "interval": "1s"})
	f.must(logical.UpdateOperation, "sys/quotas/rate-limit/strict", map[string]any{"path": "db/strict*", "rate": 2, "block_interval": "5s"})
	f.must(logical.UpdateOperation, "sys/quotas/rate-limit/exact", map[string]any{"path": "db/one", "rate": 1})
	allow := func(path, client string) error { return f.c.CheckQuota(ctx, path, client) }

	for i := range 10 {
		if err := allow("db/creds", "10.0.0.1"); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	if err := allow("db/creds", "10.0.0.1"); logical.StatusOf(err) != http.StatusTooManyRequests {
		t.Fatalf("11th request: %v", err)
	}
	// Another client has its own bucket; an unquoted path is free.
	if err := allow("db/creds", "10.0.0.2"); err != nil {
		t.Fatalf("other client: %v", err)
	}
	if err := allow("sys/mounts", "10.0.0.1"); err != nil {
		t.Fatalf("unquoted path: %v", err)
	}
	clock.Advance(time.Second)
	if err := allow("db/creds", "10.0.0.1"); err != nil {
		t.Fatalf("after a refill: %v", err)
	}

	// The more specific quota wins, and its block interval holds past the
	// refill.
	for range 2 {
		if err := allow("db/strict/x", "c"); err != nil {
			t.Fatal(err)
		}
	}
	if err := allow("db/strict/x", "c"); err == nil {
		t.Fatal("3rd request on the strict path passed")
	}
	clock.Advance(2 * time.Second)
	if err := allow("db/strict/x", "c"); err == nil {
		t.Fatal("passed while blocked")
	}
	clock.Advance(4 * time.Second)
	if err := allow("db/strict/x", "c"); err != nil {
		t.Fatalf("after the block: %v", err)
	}

	// A path without "*" covers itself only.
	if err := allow("db/one", "e"); err != nil {
		t.Fatal(err)
	}
	if err := allow("db/one", "e"); err == nil {
		t.Fatal("2nd request on the exact path passed")
	}
	if err := allow("db/one/more", "e"); err != nil {
		t.Fatalf("the exact quota covered a deeper path: %v", err)
	}

	// Quotas survive a seal and unseal (they live in the barrier).
	if err := f.c.sealNow(ctx); err != nil {
		t.Fatal(err)
	}
	if err := allow("db/creds", "x"); err != nil {
		t.Fatalf("sealed core: %v", err)
	}
	unsealWith(t, f.c, res.Shares[0])
	for range 10 {
		if err := allow("db/creds", "y"); err != nil {
			t.Fatal(err)
		}
	}
	if err := allow("db/creds", "y"); logical.StatusOf(err) != http.StatusTooManyRequests {
		t.Fatalf("quota lost across seal and unseal: %v", err)
	}
}
