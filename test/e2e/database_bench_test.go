package e2e

import (
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// parallel runs n calls of fn on `clients` goroutines, each with its own
// client, and fails the benchmark on the first error.
func parallel(b *testing.B, f *dbFixture, clients, n int, fn func(c *api.Client, i int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for range clients {
		c := vaulttest.NewClient(b, f.srv.Addr, f.srv.RootToken)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || failed.Load() != nil {
					return
				}
				if err := fn(c, i); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDatabaseCreds16Clients: database/creds reads per second, each a
// new PostgreSQL user and a lease, from 16 concurrent clients.
func BenchmarkDatabaseCreds16Clients(b *testing.B) {
	f := startDatabaseB(b)
	b.ResetTimer()
	start := time.Now()
	parallel(b, f, 16, b.N, func(c *api.Client, _ int) error {
		_, err := c.Logical().Read("database/creds/app-rw")
		return err
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "creds/s")
}

// BenchmarkDatabaseRevoke1000Expiring: 1,000 leases made to expire at the
// same moment (renewed to a common end); how fast the expiration manager
// drops their users. Each iteration makes 1,000 users: run it with
// -benchtime 1x.
func BenchmarkDatabaseRevoke1000Expiring(b *testing.B) {
	const n = 1000
	f := startDatabaseB(b)
	var total time.Duration
	for range b.N {
		b.StopTimer()
		leases := make([]string, n)
		parallel(b, f, 16, n, func(c *api.Client, i int) error {
			s, err := c.Logical().Read("database/creds/app-rw")
			if err == nil {
				leases[i] = s.LeaseID
			}
			return err
		})
		end := time.Now().Add(20 * time.Second).Truncate(time.Second)
		parallel(b, f, 16, n, func(c *api.Client, i int) error {
			_, err := c.Sys().Renew(leases[i], int(math.Ceil(time.Until(end).Seconds())))
			return err
		})
		if time.Now().After(end) {
			b.Fatal("renewing took longer than the 20 s window")
		}
		time.Sleep(time.Until(end))
		b.StartTimer()
		start := time.Now()
		for f.countRoles(b, "v-") > 0 {
			time.Sleep(20 * time.Millisecond)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "revocations/s")
}

func startDatabaseB(b *testing.B) *dbFixture {
	b.Helper()
	f := startDatabase(b, vaulttest.Options{}, "1h", "2h")
	_, err := f.c.Logical().Write("database/config/app-db", map[string]any{"max_open_connections": 16})
	if err != nil {
		b.Fatal(err)
	}
	return f
}
