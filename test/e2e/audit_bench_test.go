package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// BenchmarkAuditKVRead measures KV version 2 reads over loopback with the
// api client from 64 concurrent goroutines, with no audit device, one file
// device and two. It reports req/s and the process CPU time per request
// (client and server together), which is steadier on a shared machine; the
// ratio between the cases is what auditing costs.
func BenchmarkAuditKVRead(b *testing.B) {
	const clients = 64
	for _, devices := range []int{0, 1, 2} {
		b.Run(fmt.Sprintf("devices=%d", devices), func(b *testing.B) {
			s := vaulttest.Start(b, vaulttest.Options{})
			logs := b.TempDir()
			for i := range devices {
				enableFileAudit(b, s.Client, fmt.Sprintf("file%d", i), filepath.Join(logs, fmt.Sprintf("audit%d.log", i)), nil)
			}
			_, err := s.Client.KVv2("secret").Put(context.Background(), "my-api", walkthroughSecret)
			if err != nil {
				b.Fatal(err)
			}
			c := fastClient(b, s, s.RootToken, clients)
			b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			cpu0 := auditProcessCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					sec, err := c.Logical().Read("secret/data/my-api")
					if err != nil || sec == nil {
						b.Errorf("read: %v", err)
						return
					}
				}
			})
			b.StopTimer()
			cpu := auditProcessCPU() - cpu0
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
		})
	}
}
