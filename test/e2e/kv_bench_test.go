package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/vaultd/vaultd/cmd/vaultd-load/load"
	"github.com/vaultd/vaultd/vaulttest"
)

// BenchmarkKVv2HTTP measures KV v2 reads and writes over HTTP on loopback
// against an in-process server, in memory and on bbolt, at 1, 16 and 64
// concurrent clients; b.N is the number of requests. It reports requests
// per second, the p50 and p99 round trip and the process CPU per request
// (client and server together, steadier than wall time on a shared
// machine) alongside ns/op. The figures for the real binary, with the
// server's CPU alone, come from cmd/vaultd-load -pid.
func BenchmarkKVv2HTTP(b *testing.B) {
	for _, storage := range []string{"inmem", "bbolt"} {
		for _, op := range []load.Op{load.OpRead, load.OpWrite} {
			for _, c := range []int{1, 16, 64} {
				b.Run(fmt.Sprintf("%s/%s/c=%d", storage, op, c), func(b *testing.B) {
					opts := vaulttest.Options{}
					if storage == "bbolt" {
						opts.Dir = b.TempDir()
					}
					s := vaulttest.Start(b, opts)
					b.ResetTimer()
					cpu0 := auditProcessCPU()
					res, err := load.Run(context.Background(), load.Config{
						Addr: s.Addr, Token: s.RootToken, Op: op, Concurrency: c, Requests: b.N,
					})
					b.StopTimer()
					cpu := auditProcessCPU() - cpu0
					if err != nil {
						b.Fatal(err)
					}
					if res.Errors > 0 {
						b.Fatalf("%d of %d requests failed; first: %v", res.Errors, res.Requests, res.FirstError)
					}
					b.ReportMetric(res.Rate(), "req/s")
					b.ReportMetric(float64(res.Percentile(50).Microseconds()), "p50-µs")
					b.ReportMetric(float64(res.Percentile(99).Microseconds()), "p99-µs")
					b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
				})
			}
		}
	}
}
