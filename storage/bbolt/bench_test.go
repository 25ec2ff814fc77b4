package bbolt_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/bbolt"
)

// BenchmarkPut measures fsync'd 1 KiB puts for several writer counts.
// puts/commit is how many writes shared each fsync (group commit); a lone
// writer commits at once.
func BenchmarkPut(b *testing.B) {
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			benchPut(b, nil, writers)
		})
	}
}

func benchPut(b *testing.B, opts *bbolt.Options, writers int) {
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "bench.db"), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	value := make([]byte, 1024)
	var next atomic.Int64
	commits0 := db.Commits()
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
				if err := db.Put(ctx, &storage.Entry{Key: fmt.Sprintf("k/%d", i), Value: value}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
	b.ReportMetric(float64(b.N)/float64(db.Commits()-commits0), "puts/commit")
}
