package e2e

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/vaulttest"
)

// TestAuditConcurrentRequests: 10,000 requests from 64 goroutines leave
// exactly 20,000 new lines, each one whole JSON entry, one request and one
// response entry per request.
func TestAuditConcurrentRequests(t *testing.T) {
	const total, workers = 10000, 64
	s := vaulttest.Start(t, vaulttest.Options{})
	logPath := filepath.Join(t.TempDir(), "audit.log")
	enableFileAudit(t, s.Client, "file", logPath, nil)
	_, err := s.Client.KVv2("secret").Put(context.Background(), "load", map[string]any{"value": "v"})
	must(t, err, "kv put")
	before := len(readAuditLog(t, logPath))

	c := fastClient(t, s, s.RootToken, workers)
	var next atomic.Int64
	var failed atomic.Int64
	var firstErr sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= total {
				sec, err := c.Logical().Read("secret/data/load")
				if err == nil && sec == nil {
					err = errNoSecret
				}
				if err != nil {
					failed.Add(1)
					firstErr.Do(func() { t.Errorf("read: %v", err) })
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d reads failed", n, total)
	}

	lines := readAuditLog(t, logPath) // fails on any line that is not a whole entry
	if got := len(lines) - before; got != 2*total {
		t.Fatalf("%d requests added %d lines, want %d", total, got, 2*total)
	}
	type seen struct{ req, resp int }
	byID := make(map[string]*seen, total)
	for _, l := range lines[before:] {
		r := l.entry.Request
		if r.Path != "secret/data/load" || r.Operation != "read" {
			t.Fatalf("unexpected entry during the load: %s", l.raw)
		}
		s := byID[r.ID]
		if s == nil {
			s = &seen{}
			byID[r.ID] = s
		}
		if l.entry.Type == audit.TypeRequest {
			s.req++
		} else {
			s.resp++
		}
	}
	if len(byID) != total {
		t.Fatalf("%d distinct request IDs, want %d", len(byID), total)
	}
	for id, s := range byID {
		if s.req != 1 || s.resp != 1 {
			t.Fatalf("request %s has %d request and %d response entries", id, s.req, s.resp)
		}
	}
}
