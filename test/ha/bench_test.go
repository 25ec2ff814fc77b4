//go:build unix

package ha

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/test/proc"
	"github.com/vaultd/vaultd/vaulttest"
)

// benchClients is how many clients write or read at once.
const benchClients = 64

// BenchmarkKV measures KV v2 writes and reads per second at 64 clients on
// a three-node cluster, through the active node and through a standby,
// beside one bbolt server. Run with:
//
//	go test -run '^$' -bench BenchmarkKV -benchtime 3000x ./test/ha
func BenchmarkKV(b *testing.B) {
	single := startSingle(b)
	tc := newCluster(b, 3)
	tc.form()
	if err := tc.members[0].client(tc.root).Sys().Mount("secret", &api.MountInput{Type: "kv-v2"}); err != nil {
		b.Fatal(err)
	}
	a := tc.active(10 * time.Second)
	s := tc.standbys(a)[0]
	targets := []struct {
		name string
		url  string
		tok  string
	}{
		{"bbolt-single", single.url, single.root},
		{"raft-active", a.url(), tc.root},
		{"raft-standby", s.url(), tc.root},
	}
	for _, tg := range targets {
		b.Run(tg.name+"/write", func(b *testing.B) { kvLoad(b, tg.url, tg.tok, true) })
		b.Run(tg.name+"/read", func(b *testing.B) { kvLoad(b, tg.url, tg.tok, false) })
	}
}

var benchSeq atomic.Int64

// kvLoad runs b.N KV v2 puts (or gets of keys written beforehand) from 64
// goroutines and reports operations per second.
func kvLoad(b *testing.B, url, token string, write bool) {
	clients := make([]*api.Client, benchClients)
	for i := range clients {
		clients[i] = vaulttest.NewClient(b, url, token)
	}
	if !write {
		for i := range benchClients {
			if _, err := clients[i].KVv2("secret").Put(bg(), fmt.Sprintf("read-%d", i), map[string]any{"v": "x"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	var next, failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	done := make(chan struct{})
	for w := range benchClients {
		go func() {
			defer func() { done <- struct{}{} }()
			kv := clients[w].KVv2("secret")
			for next.Add(1) <= int64(b.N) {
				var err error
				if write {
					_, err = kv.Put(bg(), fmt.Sprintf("w-%d", benchSeq.Add(1)), map[string]any{"v": "x"})
				} else {
					_, err = kv.Get(bg(), fmt.Sprintf("read-%d", w))
				}
				if err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	for range benchClients {
		<-done
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d of %d operations failed", failed.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
}

// BenchmarkFailover kills the active node of a three-node cluster ten
// times and reports the time from the SIGKILL to the first acknowledged
// write through a survivor: min, median and max. Run with -benchtime 1x.
func BenchmarkFailover(b *testing.B) {
	tc := newCluster(b, 3)
	tc.form()
	if err := tc.members[0].client(tc.root).Sys().Mount("secret", &api.MountInput{Type: "kv-v2"}); err != nil {
		b.Fatal(err)
	}
	var times []time.Duration
	for run := range 10 {
		a := tc.active(30 * time.Second)
		survivor := tc.standbys(a)[0]
		kv := survivor.client(tc.root).KVv2("secret")
		if _, err := kv.Put(bg(), "failover", map[string]any{"run": run}); err != nil {
			b.Fatal(err)
		}
		a.p.Kill(b)
		killed := time.Now()
		for {
			if _, err := kv.Put(bg(), "failover", map[string]any{"run": run}); err == nil {
				break
			}
			if time.Since(killed) > time.Minute {
				b.Fatal("no write succeeded within a minute of the kill")
			}
			time.Sleep(10 * time.Millisecond)
		}
		times = append(times, time.Since(killed))
		tc.start(a)
		tc.unseal(a)
		tc.waitVoters(3)
	}
	slices.Sort(times)
	b.ReportMetric(times[0].Seconds(), "min-s")
	b.ReportMetric(times[len(times)/2].Seconds(), "median-s")
	b.ReportMetric(times[len(times)-1].Seconds(), "max-s")
	b.Logf("failover times: %v", times)
}

// singleServer is one vaultd on bbolt, for comparison.
type singleServer struct {
	url, root string
}

func startSingle(t testing.TB) *singleServer {
	t.Helper()
	dir := t.TempDir()
	addr := proc.FreeAddr(t)
	conf := fmt.Sprintf(`storage "bbolt" {
  path = %s
}
listener "tcp" {
  address     = %q
  tls_disable = true
}
disable_mlock = true
`, strconv.Quote(filepath.Join(dir, "vaultd.db")), addr)
	path := filepath.Join(dir, "vaultd.hcl")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	proc.Start(t, vaultd.Path(t), proc.Options{}, "server", "-config="+path)
	url := "http://" + addr
	proc.WaitHealthy(t, url, 30*time.Second)
	c := vaulttest.NewClient(t, url, "")
	init, err := c.Sys().Init(&api.InitRequest{SecretShares: 1, SecretThreshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sys().Unseal(init.KeysB64[0]); err != nil {
		t.Fatal(err)
	}
	c.SetToken(init.RootToken)
	if err := c.Sys().Mount("secret", &api.MountInput{Type: "kv-v2"}); err != nil {
		t.Fatal(err)
	}
	return &singleServer{url: url, root: init.RootToken}
}
