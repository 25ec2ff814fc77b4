package e2e

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vaultd/vaultd/vaulttest"
)

// BenchmarkJWTLoginHTTP16 is JWT logins from 16 concurrent vault/api
// clients against an in-process vaultd (in-memory storage), keys cached:
// the whole path of a CI login, HTTP, signature and claim checks and the
// minting of a token. It reports logins per second and the JWKS fetches
// made during the run, which must be zero.
func BenchmarkJWTLoginHTTP16(b *testing.B) {
	const clients = 16
	jwks := newJWKSServer(b, "gh-1")
	s := vaulttest.Start(b, vaulttest.Options{NoKV: true})
	setupGitHubJWT(b, s, jwks)
	tokens := make([]string, clients)
	for i := range tokens {
		c := ghClaims("refs/heads/main")
		c["exp"] = time.Now().Add(time.Hour).Unix()
		c["repository"] = fmt.Sprintf("octo-org/repo-%02d", i)
		tokens[i] = signJWT(b, jwks.key("gh-1"), "gh-1", c)
	}
	before := jwks.fetches.Load()
	var next atomic.Int64
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		client := s.NewClient("")
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := client.Logical().Write("auth/jwt/login", map[string]any{"role": "deploy", "jwt": tokens[i]}); err != nil {
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
	b.ReportMetric(float64(jwks.fetches.Load()-before), "jwks-fetches")
}
