package kv

import (
	"context"
	"fmt"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// BenchmarkV2Write measures one KV v2 data write through HandleRequest
// over in-memory storage, cycling through 1024 keys so pruning is
// exercised once keys pass 10 versions.
func BenchmarkV2Write(b *testing.B) {
	e := newV2(b)
	paths := make([]string, 1024)
	for i := range paths {
		paths[i] = fmt.Sprintf("data/app/%d/creds", i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := &logical.Request{
			Operation: logical.UpdateOperation,
			Path:      paths[i%len(paths)],
			Storage:   e.s,
			Data: map[string]any{"data": map[string]any{
				"DB_PASSWORD": "correct-horse-battery-staple",
				"DB_HOST":     "db.internal",
				"PORT":        "5432",
			}},
		}
		if _, err := e.b.HandleRequest(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkV2Read measures one KV v2 data read of the latest version.
func BenchmarkV2Read(b *testing.B) {
	e := newV2(b)
	e.must(logical.UpdateOperation, "data/my-api", map[string]any{"data": map[string]any{
		"DB_PASSWORD": "correct-horse-battery-staple",
		"DB_HOST":     "db.internal",
		"PORT":        "5432",
	}})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req := &logical.Request{Operation: logical.ReadOperation, Path: "data/my-api", Storage: e.s}
		resp, err := e.b.HandleRequest(ctx, req)
		if err != nil || resp == nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkV2ReadParallel measures reads from GOMAXPROCS goroutines.
func BenchmarkV2ReadParallel(b *testing.B) {
	e := newV2(b)
	e.must(logical.UpdateOperation, "data/my-api", map[string]any{"data": map[string]any{"k": "v"}})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := &logical.Request{Operation: logical.ReadOperation, Path: "data/my-api", Storage: e.s}
			if _, err := e.b.HandleRequest(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
