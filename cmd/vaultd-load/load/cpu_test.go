package load

import (
	"context"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	cases := []struct {
		name string
		line string
		want time.Duration
		ok   bool
	}{
		// utime 250 and stime 50 ticks: 3 s.
		{"plain", "1234 (vaultd) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 100 0 0", 3 * time.Second, true},
		{"name with spaces and parens", "77 (a b) c)) R 1 2 3 4 5 6 7 8 9 10 7 3 0 0", 100 * time.Millisecond, true},
		{"no name", "1234 vaultd S 1", 0, false},
		{"short", "1 (x) S 1 2 3", 0, false},
		{"not a number", "1 (x) S 1 2 3 4 5 6 7 8 9 10 x 3 0 0", 0, false},
		{"negative", "1 (x) S 1 2 3 4 5 6 7 8 9 10 -4 3 0 0", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat([]byte(tc.line))
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("parseStat = %v, %v; want %v, ok=%v", got, err, tc.want, tc.ok)
			}
		})
	}
}

// TestProcessCPUOfSelf reads this test process's own CPU time after
// burning some, so the figure must be above zero and grow.
func TestProcessCPUOfSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/<pid>/stat is Linux only")
	}
	before, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the kernel has charged at least one more tick.
	for {
		after, err := ProcessCPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if after > before {
			break
		}
	}
	if _, err := ProcessCPU(-1); err == nil {
		t.Fatal("CPU of pid -1")
	}
}

func TestRunReportsServerCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/<pid>/stat is Linux only")
	}
	_, addr := newFakeKV(t)
	// The fake server runs in this process, so its CPU is this pid's.
	res, err := Run(context.Background(), Config{Addr: addr, Mount: "kv", Op: OpRead, Concurrency: 4, Duration: 300 * time.Millisecond, ServerPID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	if res.ServerCPU <= 0 || res.CPUPerRequest() <= 0 {
		t.Fatalf("server CPU %v over %d requests", res.ServerCPU, res.Requests)
	}
	if s := res.String(); !strings.Contains(s, "server_cpu/req=") {
		t.Fatalf("String: %s", s)
	}
}

func TestRunMixed(t *testing.T) {
	f, addr := newFakeKV(t)
	res, err := Run(context.Background(), Config{Addr: addr, Token: "tok", Mount: "kv", Op: OpMixed, Concurrency: 1, Requests: 100, Keys: 4})
	if err != nil || res.Errors != 0 {
		t.Fatalf("run: %v, %s", err, res)
	}
	writes, reads := 0, 0
	for k, n := range f.posts {
		if strings.HasPrefix(k, "vaultd-load/write/") {
			writes += n
		}
	}
	for _, n := range f.gets {
		reads += n
	}
	// One client, 100 requests: every tenth a write.
	if writes != 10 || reads != 90 {
		t.Fatalf("%d writes, %d reads; want 10 and 90", writes, reads)
	}
}
