package token

import (
	"context"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func benchEnv(b *testing.B) (*Store, *Entry) {
	b.Helper()
	s, err := NewStore(context.Background(), Config{
		Storage: logical.NewInmemStorage(),
		System:  logical.StaticSystemView{DefaultTTL: time.Hour, MaxTTL: 24 * time.Hour},
	})
	if err != nil {
		b.Fatal(err)
	}
	root, err := s.CreateRoot(context.Background(), "")
	if err != nil {
		b.Fatal(err)
	}
	return s, root
}

// BenchmarkCreate measures auth/token/create (a child of root with a
// policy and a TTL) over in-memory storage.
func BenchmarkCreate(b *testing.B) {
	s, root := benchEnv(b)
	be := s.Backend()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for range b.N {
		resp, err := be.HandleRequest(ctx, &logical.Request{
			Operation: logical.UpdateOperation, Path: "create", ClientToken: root.ID,
			Data: map[string]any{"policies": []any{"app"}, "ttl": "1h"},
		})
		if err != nil || resp.Auth == nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// reportCPU adds the process CPU time per operation since start, GC
// included: on a shared machine it is steadier than wall time.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkLookupCached measures Lookup of a cached token.
func BenchmarkLookupCached(b *testing.B) {
	s, root := benchEnv(b)
	ctx := context.Background()
	if e, _ := s.Lookup(ctx, root.ID); e == nil {
		b.Fatal("root not found")
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for range b.N {
		if e, _ := s.Lookup(ctx, root.ID); e == nil {
			b.Fatal("root not found")
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkLookupCachedParallel is the same from every core.
func BenchmarkLookupCachedParallel(b *testing.B) {
	s, root := benchEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if e, _ := s.Lookup(ctx, root.ID); e == nil {
				b.Error("root not found")
				return
			}
		}
	})
}
