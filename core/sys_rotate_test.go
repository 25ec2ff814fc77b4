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

func TestRotateConfig(t *testing.T) {
	clock := testclock.New(time.Now())
	f := newLeaseFixture(t, inmem.New(), clock, &leasingBackend{})
	res := initCore(t, f.c, 1, 1)
	f.root = res.RootToken
	unsealWith(t, f.c, res.Shares[0])

	got := f.must(logical.ReadOperation, "sys/rotate/config", nil).Data
	if got["max_operations"] != maxRotateOps || got["enabled"] != true || got["interval"] != 0 {
		t.Fatalf("default config: %v", got)
	}
	for _, bad := range []map[string]any{
		{"interval": "1h"},
		{"max_operations": 10},
		{"max_operations": "lots"},
	} {
		_, err := f.do(logical.UpdateOperation, "sys/rotate/config", bad)
		if logical.StatusOf(err) != http.StatusBadRequest {
			t.Errorf("%v: %v", bad, err)
		}
	}
	f.must(logical.UpdateOperation, "sys/rotate/config", map[string]any{"interval": "48h", "max_operations": "2000000"})
	got = f.must(logical.ReadOperation, "sys/rotate/keyring/config", nil).Data
	if got["interval"] != "48h0m0s" || got["max_operations"] != int64(2000000) {
		t.Fatalf("config after write: %v", got)
	}

	// Not due yet; due once the active term is older than the interval.
	rot := f.c.state.router.routes["sys/"].backend.(*sysBackend).rotator
	if done, err := rot.rotateIfDue(context.Background()); done || err != nil {
		t.Fatalf("rotated early: %v %v", done, err)
	}
	clock.Advance(49 * time.Hour)
	if done, err := rot.rotateIfDue(context.Background()); !done || err != nil {
		t.Fatalf("not rotated when due: %v %v", done, err)
	}
	term := f.must(logical.ReadOperation, "sys/key-status", nil).Data["term"]
	if term != uint32(2) {
		t.Fatalf("term after automatic rotation: %v", term)
	}
	// Disabled: never.
	f.must(logical.UpdateOperation, "sys/rotate/config", map[string]any{"enabled": false})
	clock.Advance(100 * time.Hour)
	if done, _ := rot.rotateIfDue(context.Background()); done {
		t.Fatal("rotated while disabled")
	}
}
