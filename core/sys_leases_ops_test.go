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

func TestLeaseCountAndTidy(t *testing.T) {
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	backend := &leasingBackend{}
	f, _ := startLeaseFixture(t, inmem.New(), clock, backend)
	for range 3 {
		f.must(logical.ReadOperation, "db/creds", nil)
	}
	count := f.must(logical.ReadOperation, "sys/leases/count", nil).Data
	if count["lease_count"] != 3 || count["counts"].(map[string]any)["db/"] != 3 {
		t.Fatalf("count: %v", count)
	}
	if _, err := f.do(logical.ReadOperation, "sys/leases/count", map[string]any{"type": "bogus"}); logical.StatusOf(err) != http.StatusBadRequest {
		t.Fatalf("bad type: %v", err)
	}

	// Stale index entries, as a crash between steps could leave: a lease
	// whose token is gone (on a live mount), and one whose mount is gone.
	x := f.c.state.expiration
	now := clock.Now()
	stale := []*leaseRecord{
		{Kind: kindSecret, LeaseID: "db/creds/orphan", Path: "db/creds", TokenAccessor: "no-such-accessor",
			IssueTime: now, ExpireTime: now.Add(time.Hour), Secret: &logical.Secret{InternalData: map[string]any{"user": "orphan"}}},
		{Kind: kindSecret, LeaseID: "gone/creds/x", Path: "gone/creds", IssueTime: now, ExpireTime: now.Add(time.Hour)},
	}
	for _, rec := range stale {
		if err := x.persist(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.must(logical.ReadOperation, "sys/leases/count", nil).Data["lease_count"]; got != 5 {
		t.Fatalf("count with stale entries: %v", got)
	}
	resp := f.must(logical.UpdateOperation, "sys/leases/tidy", nil)
	if resp.StatusCode != http.StatusAccepted || len(resp.Warnings) != 1 {
		t.Fatalf("tidy answer: %+v", resp)
	}
	if got := f.must(logical.ReadOperation, "sys/leases/count", nil).Data["lease_count"]; got != 3 {
		t.Fatalf("count after tidy: %v", got)
	}
	if backend.revokedCount() != 1 || backend.revoked[0] != "orphan" {
		t.Fatalf("tidy revoked %v", backend.revoked)
	}
	// The index on storage agrees.
	keys, err := x.view.List(context.Background(), "lease/")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 { // "db/" folder only
		t.Fatalf("stored index after tidy: %v", keys)
	}
}
