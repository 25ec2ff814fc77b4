package barrier

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/bbolt"
	"github.com/vaultd/vaultd/storage/inmem"
)

func value1KiB() []byte {
	v := make([]byte, 1024)
	for i := range v {
		v[i] = byte(i)
	}
	return v
}

func BenchmarkBarrierPut1KiB(b *testing.B) {
	bar, _ := newUnsealed(b, inmem.New())
	ctx := context.Background()
	v := value1KiB()
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("bench/put/%d", i)
	}
	b.SetBytes(int64(len(v)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := bar.Put(ctx, &storage.Entry{Key: keys[i%len(keys)], Value: v}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBarrierGet1KiB(b *testing.B) {
	bar, _ := newUnsealed(b, inmem.New())
	ctx := context.Background()
	v := value1KiB()
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("bench/get/%d", i)
		if err := bar.Put(ctx, &storage.Entry{Key: keys[i], Value: v}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(v)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := bar.Get(ctx, keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBboltBarrierPut measures durable (fsync'd) 1 KiB puts through the
// barrier onto bbolt with 1 and 64 concurrent writers. Compare puts/s: the
// ratio shows what sharing transactions buys; puts/commit is how many
// writes each fsync carried.
func BenchmarkBboltBarrierPut(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			phys, err := bbolt.Open(filepath.Join(b.TempDir(), "bench.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer phys.Close()
			bar, _ := newUnsealed(b, phys)
			ctx := context.Background()
			v := value1KiB()
			var next atomic.Int64
			commits0 := phys.Commits()
			b.SetBytes(int64(len(v)))
			b.ResetTimer()
			var wg sync.WaitGroup
			for range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if err := bar.Put(ctx, &storage.Entry{Key: fmt.Sprintf("bench/%d", i), Value: v}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
			b.ReportMetric(float64(b.N)/float64(phys.Commits()-commits0), "puts/commit")
		})
	}
}
