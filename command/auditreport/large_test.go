package auditreport_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaultd/vaultd/command/auditreport"
)

// TestAuditReportLargeLogBoundedMemory reads a 1 GiB log through the real
// binary and checks the process's peak resident memory stays bounded. It
// writes 1 GiB to the temporary directory, so it runs only when
// VAULTD_AUDIT_REPORT_LARGE is set (to the size in MiB, e.g. 1024).
func TestAuditReportLargeLogBoundedMemory(t *testing.T) {
	mib := os.Getenv("VAULTD_AUDIT_REPORT_LARGE")
	if mib == "" {
		t.Skip("set VAULTD_AUDIT_REPORT_LARGE=1024 to read a 1 GiB log (writes 1 GiB to the temporary directory)")
	}
	var size int64
	if _, err := fmt.Sscan(mib, &size); err != nil || size <= 0 {
		t.Fatalf("VAULTD_AUDIT_REPORT_LARGE=%q: want a size in MiB", mib)
	}
	size <<= 20
	logPath := filepath.Join(t.TempDir(), "audit.log")
	pairs := writeSyntheticLog(t, logPath, size)
	bin := vaultd.Path(t) // built before the clock starts

	for _, args := range [][]string{
		{"-summary", "-format=csv"},
		{"-format=json", "-namespace=ns-7"},
	} {
		start := time.Now()
		cmd := exec.Command(bin, append(append([]string{"audit", "report"}, args...), logPath)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		var out strings.Builder
		cmd.Stdout = &countWriter{}
		cmd.Stderr = &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
		elapsed := time.Since(start)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		peak := ru.Maxrss << 10 // kilobytes on Linux
		t.Logf("%v over %d MiB (%d requests): peak RSS %.1f MiB, %.1f s, %.0f MiB/s",
			args, size>>20, pairs, float64(peak)/(1<<20), elapsed.Seconds(), float64(size>>20)/elapsed.Seconds())
		if peak > 128<<20 {
			t.Errorf("%v: peak RSS %d MiB for a %d MiB log: not bounded", args, peak>>20, size>>20)
		}
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// writeSyntheticLog writes request/response pairs in Vault's format - a
// few hundred Kubernetes logins, then reads by their tokens - until the
// file reaches size bytes.
func writeSyntheticLog(t testing.TB, path string, size int64) int {
	t.Helper()
	f, err := os.Create(path)
	must(t, err, "create")
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var written int64
	put := func(s string) {
		n, err := w.WriteString(s)
		must(t, err, "write")
		written += int64(n)
	}
	base := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	const logins = 500
	hmac := func(kind string, i int) string { return fmt.Sprintf("hmac-sha256:%s%060d", kind, i) }
	for i := range logins {
		ts := base.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)
		id := fmt.Sprintf("login-%d", i)
		req := fmt.Sprintf(`{"time":%q,"type":"request","auth":{"token_type":"default"},"request":{"id":%q,"operation":"update","mount_type":"kubernetes","path":"auth/kubernetes/login","data":{"jwt":%q,"role":%q},"remote_address":"10.0.%d.%d","namespace":{"id":"root"}}}`+"\n",
			ts, id, hmac("aa", i), hmac("bb", i), i/250, i%250)
		put(req)
		put(fmt.Sprintf(`{"time":%q,"type":"response","auth":{"token_type":"default"},"request":{"id":%q,"operation":"update","mount_type":"kubernetes","path":"auth/kubernetes/login","remote_address":"10.0.%d.%d","namespace":{"id":"root"}},"response":{"auth":{"client_token":%q,"accessor":%q,"display_name":"kubernetes-ns-%d-sa","policies":["default","app"],"token_policies":["default","app"],"metadata":{"role":"app","service_account_name":"sa-%d","service_account_namespace":"ns-%d","service_account_uid":"u-%d"},"token_type":"service","token_ttl":3600}}}`+"\n",
			ts, id, i/250, i%250, hmac("cc", i), hmac("dd", i), i%10, i, i%10, i))
	}
	pairs := 0
	for written < size {
		i := pairs % logins
		ts := base.Add(time.Second + time.Duration(pairs)*time.Millisecond).Format(time.RFC3339Nano)
		id := fmt.Sprintf("req-%012d", pairs)
		p := fmt.Sprintf("secret/data/app-%d/config", pairs%37)
		common := fmt.Sprintf(`"auth":{"client_token":%q,"accessor":%q,"display_name":"kubernetes-ns-%d-sa","policies":["default","app"],"token_policies":["default","app"],"policy_results":{"allowed":true,"granting_policies":[{"name":"app","namespace_id":"root","type":"acl"}]},"token_type":"service","token_ttl":3600,"token_issue_time":"2026-07-01T00:00:00Z"},"request":{"id":%q,"operation":"read","mount_point":"secret/","mount_type":"kv","mount_accessor":"kv_1234abcd","client_token":%q,"client_token_accessor":%q,"namespace":{"id":"root"},"path":%q,"remote_address":"10.1.%d.%d","remote_port":%d}`,
			hmac("cc", i), hmac("dd", i), i%10, id, hmac("cc", i), hmac("dd", i), p, i/250, i%250, 30000+pairs%30000)
		put(fmt.Sprintf(`{"time":%q,"type":"request",%s}`+"\n", ts, common))
		put(fmt.Sprintf(`{"time":%q,"type":"response",%s,"response":{"mount_point":"secret/","mount_type":"kv","mount_accessor":"kv_1234abcd","data":{"data":{"password":%q,"username":%q},"metadata":{"created_time":"2026-07-01T00:00:00Z","custom_metadata":null,"deletion_time":"","destroyed":false,"version":3}}}}`+"\n",
			ts, common, hmac("ee", pairs), hmac("ff", pairs)))
		pairs++
	}
	must(t, w.Flush(), "flush")
	return pairs + logins
}

// BenchmarkReadSummary reads a 64 MiB synthetic log in process, into a
// summary: the reader's throughput, joins included.
func BenchmarkReadSummary(b *testing.B) {
	logPath := filepath.Join(b.TempDir(), "audit.log")
	size := int64(64 << 20)
	writeSyntheticLog(b, logPath, size)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		sum := auditreport.NewSummary(auditreport.PeriodDay)
		_, err := auditreport.NewReader(nil, auditreport.Limits{}).Read(context.Background(), []string{logPath},
			func(r *auditreport.Record) error { sum.Add(r); return nil }, func(*auditreport.LineError) {})
		if err != nil {
			b.Fatal(err)
		}
	}
}
