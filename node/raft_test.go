package node

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/core"
)

// These tests run three nodes in one process, so that the race detector
// sees the HA code (the active/standby loop, forwarding, joining) at work;
// test/ha runs the same things as separate processes.

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type inproc struct {
	n    *Node
	api  string
	conf *config.Config
}

func startNodes(t *testing.T, count int) []*inproc {
	t.Helper()
	apis := make([]string, count)
	for i := range apis {
		apis[i] = freePort(t)
	}
	var out []*inproc
	for i := range count {
		var joins []*config.RetryJoin
		for j, a := range apis {
			if j != i {
				joins = append(joins, &config.RetryJoin{LeaderAPIAddr: "http://" + a})
			}
		}
		conf := &config.Config{
			Storage: &config.Storage{Type: config.StorageRaft, DeclaredType: "raft", Path: filepath.Join(t.TempDir(), "data"),
				Raft: &config.Raft{NodeID: fmt.Sprintf("n%d", i), PerformanceMultiplier: 1, RetryJoin: joins}},
			Listeners:   []*config.Listener{{Type: "tcp", Address: apis[i], TLSDisable: true}},
			APIAddr:     "http://" + apis[i],
			ClusterAddr: "https://" + freePort(t),
		}
		n, err := New(context.Background(), conf, Options{})
		if err != nil {
			t.Fatal(err)
		}
		n.Start()
		p := &inproc{n: n, api: "http://" + apis[i], conf: conf}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = n.Shutdown(ctx)
		})
		out = append(out, p)
	}
	return out
}

func client(t *testing.T, addr, token string) *api.Client {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = addr
	cfg.MaxRetries = 0
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(token)
	return c
}

func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestInProcessCluster: init one node, the others join through retry_join
// when unsealed; writes and reads go through a standby; the active node
// steps down and another takes over; sealing a standby leaves the cluster
// serving.
func TestInProcessCluster(t *testing.T) {
	ctx := context.Background()
	nodes := startNodes(t, 3)
	res, err := nodes[0].n.Core.Initialize(ctx, core.InitParams{SecretShares: 1, SecretThreshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nodes[0].n.Core.Unseal(ctx, res.Shares[0]); err != nil {
		t.Fatal(err)
	}
	for _, p := range nodes[1:] {
		waitFor(t, "a join offer", p.n.Core.JoinPending)
		if _, err := p.n.Core.Unseal(ctx, res.Shares[0]); err != nil {
			t.Fatalf("unseal joining node: %v", err)
		}
	}
	active := func() *inproc {
		for _, p := range nodes {
			if !p.n.Core.Sealed() && !p.n.Core.Standby() {
				return p
			}
		}
		return nil
	}
	waitFor(t, "an active node", func() bool { return active() != nil })
	a := active()
	var s *inproc
	for _, p := range nodes {
		if p != a {
			s = p
		}
	}
	waitFor(t, "the standby to know the leader", func() bool { return s.n.Core.LeaderClusterAddr() != "" })
	sc := client(t, s.api, res.RootToken)
	if err := sc.Sys().Mount("secret", &api.MountInput{Type: "kv-v2"}); err != nil {
		t.Fatalf("mount through a standby: %v", err)
	}
	for i := range 20 {
		if _, err := sc.KVv2("secret").Put(ctx, "k", map[string]any{"i": i}); err != nil {
			t.Fatalf("write %d through a standby: %v", i, err)
		}
	}
	if err := client(t, a.api, res.RootToken).Sys().StepDown(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "another active node", func() bool { b := active(); return b != nil && b != a })
	b := active()
	got, err := client(t, b.api, res.RootToken).KVv2("secret").Get(ctx, "k")
	if err != nil || fmt.Sprint(got.Data["i"]) != "19" {
		t.Fatalf("read after step-down: %v %v", got, err)
	}
	// sys/seal on a standby is refused (it would otherwise be forwarded
	// and seal the active node); stopping a standby leaves the cluster
	// serving.
	var standby *inproc
	for _, p := range nodes {
		if p != b {
			standby = p
		}
	}
	if err := client(t, standby.api, res.RootToken).Sys().Seal(); err == nil {
		t.Fatal("sys/seal on a standby succeeded")
	}
	if b.n.Core.Sealed() || standby.n.Core.Sealed() {
		t.Fatal("sys/seal on a standby sealed a node")
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := standby.n.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if _, err := client(t, b.api, res.RootToken).KVv2("secret").Put(ctx, "k", map[string]any{"i": 20}); err != nil {
		t.Fatalf("write with one node sealed: %v", err)
	}
}
