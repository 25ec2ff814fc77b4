package e2e

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vaultd/vaultd/cmd/vaultd-load/load"
	"github.com/vaultd/vaultd/vaulttest"
)

// BenchmarkKVv2WriteAudited is the write run issue 19 is about: fsync'd KV
// version 2 writes on bbolt from 64 clients over HTTP with one file audit
// device. It reports req/s, p50 and the process CPU per request (client
// and server together).
func BenchmarkKVv2WriteAudited(b *testing.B) {
	s := vaulttest.Start(b, vaulttest.Options{Dir: b.TempDir()})
	enableFileAudit(b, s.Client, "file", filepath.Join(b.TempDir(), "audit.log"), nil)
	b.ResetTimer()
	cpu0 := auditProcessCPU()
	res, err := load.Run(context.Background(), load.Config{
		Addr: s.Addr, Token: s.RootToken, Op: load.OpWrite, Concurrency: 64, Requests: b.N, ValueSize: 100,
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
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
}
