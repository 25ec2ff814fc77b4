package jwt

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkLogin16 is logins through HandleRequest from 16 concurrent
// clients with the keys cached (a JWKS over HTTPS fetched once at config
// time), for RS256 and ES256 tokens. It reports logins per second and the
// JWKS fetches made during the run, which must be zero.
func BenchmarkLogin16(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			key := rsaKey(b, "k")
			if alg == "ES256" {
				key = ecKey(b, "k")
			}
			var fetches atomic.Int64
			is := newIssuer(b, key)
			e := newTestEnv(b, Options{ObserveFetch: func(string, error) { fetches.Add(1) }})
			e.mustDo(b, "update", "config", map[string]any{"jwks_url": is.srv.URL + "/jwks", "jwks_ca_pem": is.caPEM()})
			e.mustDo(b, "create", "role/r", map[string]any{
				"role_type": "jwt", "user_claim": "sub", "bound_audiences": "vaultd",
				"bound_claims": map[string]any{"/project/path": "group/app"}, "claim_mappings": map[string]any{"sub": "subject"},
				"token_policies": "p",
			})
			const clients = 16
			tokens := make([]string, clients)
			for i := range tokens {
				tokens[i] = key.sign(b, e.claims(map[string]any{
					"sub": "client-" + string(rune('a'+i)), "aud": "vaultd", "project": map[string]any{"path": "group/app"},
					"exp": e.clock.Now().Add(time.Hour).Unix(),
				}))
			}
			fetches.Store(0)
			var next atomic.Int64
			var failed atomic.Value
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if _, err := e.login("r", tokens[c]); err != nil {
							failed.Store(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if err := failed.Load(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "logins/s")
			b.ReportMetric(float64(fetches.Load()), "jwks-fetches")
		})
	}
}
