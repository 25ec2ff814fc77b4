package kubernetes_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vaultd/vaultd/auth/kubernetes"
	"github.com/vaultd/vaultd/logical"
)

// BenchmarkLogin16 is logins through HandleRequest from 16 concurrent
// clients against the real API server. It reports logins per second and
// the share of login time spent waiting on TokenReview.
//
// "cached": each client logs in again and again with its own token, as a
// pod does at each restart or renewal failure; the API server answers
// from its ~10 s token cache. "fresh": every login uses a token not seen
// before, so the API server verifies the signature and looks up the
// service account each time.
func BenchmarkLogin16(b *testing.B) {
	const clients = 16
	var reviewNanos atomic.Int64
	f := newFixture(b, kubernetes.Options{
		ObserveAPICall: func(call string, took time.Duration, _ error) {
			if call == "TokenReview" {
				reviewNanos.Add(int64(took))
			}
		},
	})
	ctx := context.Background()
	accounts := make([]string, clients)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("bench-%02d", i)
		if _, err := f.c.CreateServiceAccount(ctx, "default", accounts[i]); err != nil {
			b.Fatal(err)
		}
	}
	f.must(b, logical.CreateOperation, "role/bench", map[string]any{
		"bound_service_account_names": "bench-*", "bound_service_account_namespaces": "default", "token_policies": "p",
	})

	mint := func(n int) []string {
		toks := make([]string, n)
		for i := range toks {
			t, err := f.c.CreateToken(ctx, "default", accounts[i%clients], nil, 3600)
			if err != nil {
				b.Fatal(err)
			}
			toks[i] = t
		}
		return toks
	}

	run := func(b *testing.B, warm string, tokens []string) {
		var next atomic.Int64
		var loginNanos atomic.Int64
		reviewNanos.Store(0)
		// Warm the connection so the first TLS handshake is not counted.
		if _, err := f.login("bench", warm); err != nil {
			b.Fatal(err)
		}
		reviewNanos.Store(0)
		b.ResetTimer()
		start := time.Now()
		var wg sync.WaitGroup
		var failed atomic.Value
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(b.N) {
						return
					}
					t0 := time.Now()
					_, err := f.login("bench", tokens[int(i)%len(tokens)])
					loginNanos.Add(int64(time.Since(t0)))
					if err != nil {
						failed.Store(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		if err, _ := failed.Load().(error); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "logins/s")
		b.ReportMetric(100*float64(reviewNanos.Load())/float64(loginNanos.Load()), "%review")
		b.ReportMetric(float64(loginNanos.Load())/float64(b.N)/1e6, "ms/login")
	}

	b.Run("cached", func(b *testing.B) {
		tokens := mint(clients)
		run(b, tokens[0], tokens)
	})
	b.Run("fresh", func(b *testing.B) {
		b.StopTimer()
		tokens := mint(b.N + 1)
		b.StartTimer()
		run(b, tokens[0], tokens[1:])
	})
}
