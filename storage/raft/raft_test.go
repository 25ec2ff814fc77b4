package raft

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	hraft "github.com/hashicorp/raft"

	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/storagetest"
)

// These tests run real Raft nodes over Raft's in-memory transport: the
// consensus, log store, snapshots and FSM are the production code; only
// the network between the nodes is a channel instead of a socket.

type testNode struct {
	id   string
	dir  string
	tr   *hraft.InmemTransport
	addr hraft.ServerAddress
	b    *Backend
}

func newNode(t *testing.T, id, dir string) *testNode {
	t.Helper()
	addr, tr := hraft.NewInmemTransport(hraft.ServerAddress(id))
	n := &testNode{id: id, dir: dir, tr: tr, addr: addr}
	n.open(t)
	return n
}

func (n *testNode) open(t *testing.T) {
	t.Helper()
	b, err := Open(Config{Path: n.dir, NodeID: n.id, Transport: n.tr, PerformanceMultiplier: 1, ApplyTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open %s: %v", n.id, err)
	}
	n.b = b
	t.Cleanup(func() { _ = b.Close() })
}

func waitLeader(t *testing.T, b *Backend) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
}

func singleNode(t *testing.T) *testNode {
	t.Helper()
	n := newNode(t, "n1", t.TempDir())
	if err := n.b.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	waitLeader(t, n.b)
	return n
}

func TestConformanceSingleNode(t *testing.T) {
	n := singleNode(t)
	storagetest.Run(t, n.b)
	storagetest.CheckClosed(t, n.b)
}

// cluster starts three nodes connected to each other, bootstraps the first
// and adds the others as voters.
func cluster(t *testing.T) []*testNode {
	t.Helper()
	nodes := []*testNode{newNode(t, "n1", t.TempDir()), newNode(t, "n2", t.TempDir()), newNode(t, "n3", t.TempDir())}
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				a.tr.Connect(b.addr, b.tr)
			}
		}
	}
	if err := nodes[0].b.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	waitLeader(t, nodes[0].b)
	for _, n := range nodes[1:] {
		if err := nodes[0].b.AddVoter(n.id, string(n.addr)); err != nil {
			t.Fatal(err)
		}
	}
	return nodes
}

func leaderOf(t *testing.T, nodes []*testNode) *testNode {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range nodes {
			if !n.b.closed.Load() && n.b.IsLeader() {
				return n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no leader elected")
	return nil
}

// eventually polls f until it returns nil.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
}

func hasValue(b *Backend, key string, want []byte) error {
	e, err := b.Get(context.Background(), key)
	if err != nil {
		return err
	}
	if e == nil {
		return fmt.Errorf("%s missing", key)
	}
	if !bytes.Equal(e.Value, want) {
		return fmt.Errorf("%s = %q, want %q", key, e.Value, want)
	}
	return nil
}

func TestReplicationAndFollowerRefusesWrites(t *testing.T) {
	nodes := cluster(t)
	ctx := context.Background()
	leader := nodes[0]
	ops := []storage.Op{{Key: "a/1", Value: []byte("one")}, {Key: "a/2", Value: []byte("two")}}
	if err := leader.b.Commit(ctx, ops); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		eventually(t, "replicated to "+n.id, func() error { return hasValue(n.b, "a/2", []byte("two")) })
	}
	err := nodes[1].b.Put(ctx, &storage.Entry{Key: "x", Value: []byte("y")})
	if !errors.Is(err, ErrNotLeader) {
		t.Fatalf("write on a follower: got %v, want ErrNotLeader", err)
	}
	if e, _ := nodes[1].b.Get(ctx, "x"); e != nil {
		t.Fatal("a refused follower write is readable")
	}
	servers, err := leader.b.Configuration()
	if err != nil || len(servers) != 3 {
		t.Fatalf("configuration: %v %+v", err, servers)
	}
}

func TestLeaderLossKeepsAcknowledgedWrites(t *testing.T) {
	nodes := cluster(t)
	ctx := context.Background()
	for i := range 50 {
		if err := nodes[0].b.Put(ctx, &storage.Entry{Key: fmt.Sprintf("k/%02d", i), Value: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := nodes[0].b.Close(); err != nil {
		t.Fatal(err)
	}
	rest := nodes[1:]
	leader := leaderOf(t, rest)
	waitLeader(t, leader.b)
	for i := range 50 {
		if err := hasValue(leader.b, fmt.Sprintf("k/%02d", i), []byte{byte(i)}); err != nil {
			t.Fatalf("after failover: %v", err)
		}
	}
	if err := leader.b.Put(ctx, &storage.Entry{Key: "after", Value: []byte("failover")}); err != nil {
		t.Fatalf("write after failover: %v", err)
	}
}

func TestRestartKeepsDataAndSnapshotsCompactTheLog(t *testing.T) {
	dir := t.TempDir()
	n := newNode(t, "n1", dir)
	if err := n.b.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	waitLeader(t, n.b)
	ctx := context.Background()
	for i := range 20 {
		if err := n.b.Put(ctx, &storage.Entry{Key: fmt.Sprintf("k%d", i), Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.b.raft.Snapshot().Error(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	if err := n.b.Put(ctx, &storage.Entry{Key: "late", Value: []byte("after-snapshot")}); err != nil {
		t.Fatal(err)
	}
	_ = n.b.Close()
	n.open(t)
	waitLeader(t, n.b)
	for _, key := range []string{"k0", "k19"} {
		if err := hasValue(n.b, key, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := hasValue(n.b, "late", []byte("after-snapshot")); err != nil {
		t.Fatal(err)
	}
}

func TestSnapshotSaveAndRestore(t *testing.T) {
	n := singleNode(t)
	ctx := context.Background()
	if err := n.b.Put(ctx, &storage.Entry{Key: "keep", Value: []byte("1")}); err != nil {
		t.Fatal(err)
	}
	var snap bytes.Buffer
	if err := n.b.SaveSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	if err := n.b.Put(ctx, &storage.Entry{Key: "keep", Value: []byte("2")}); err != nil {
		t.Fatal(err)
	}
	if err := n.b.Put(ctx, &storage.Entry{Key: "gone", Value: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	other := singleNode(t)
	if err := other.b.RestoreSnapshot(bytes.NewReader(snap.Bytes())); err != nil {
		t.Fatal(err)
	}
	if err := hasValue(other.b, "keep", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if e, _ := other.b.Get(ctx, "gone"); e != nil {
		t.Fatal("a key written after the snapshot survived the restore")
	}
	if err := other.b.Put(ctx, &storage.Entry{Key: "new", Value: []byte("ok")}); err != nil {
		t.Fatalf("write after restore: %v", err)
	}
	if err := other.b.RestoreSnapshot(bytes.NewReader([]byte("not a snapshot"))); err == nil {
		t.Fatal("a garbage snapshot was restored")
	}
	if err := hasValue(other.b, "new", []byte("ok")); err != nil {
		t.Fatalf("a refused restore changed the data: %v", err)
	}
}

func TestCommandRoundTrip(t *testing.T) {
	tests := [][]storage.Op{
		{{Key: "a", Value: []byte("1")}},
		{{Key: "a", Delete: true}, {Key: "b/c", Value: nil}, {Key: "d", Value: bytes.Repeat([]byte{0}, 300)}},
	}
	for _, ops := range tests {
		got, err := decodeOps(encodeOps(ops))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ops) {
			t.Fatalf("got %d ops, want %d", len(got), len(ops))
		}
		for i := range ops {
			if got[i].Key != ops[i].Key || got[i].Delete != ops[i].Delete || !bytes.Equal(got[i].Value, ops[i].Value) {
				t.Fatalf("op %d: got %+v, want %+v", i, got[i], ops[i])
			}
		}
	}
	for _, bad := range [][]byte{nil, {9}, {commandVersion, 5}, append(encodeOps(tests[0]), 1)} {
		if _, err := decodeOps(bad); err == nil {
			t.Fatalf("decodeOps(%v) accepted a malformed command", bad)
		}
	}
}

func FuzzDecodeOps(f *testing.F) {
	f.Add(encodeOps([]storage.Op{{Key: "a", Value: []byte("b")}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := decodeOps(data)
		if err != nil {
			return
		}
		if again, err := decodeOps(encodeOps(ops)); err != nil || len(again) != len(ops) {
			t.Fatalf("re-encoding a decoded command failed: %v", err)
		}
	})
}

func TestLogStoreRoundTrip(t *testing.T) {
	s, err := openLogStore(t.TempDir() + "/raft.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Unix(1700000000, 5)
	logs := []*hraft.Log{
		{Index: 1, Term: 1, Type: hraft.LogCommand, Data: []byte("one"), AppendedAt: now},
		{Index: 2, Term: 1, Type: hraft.LogConfiguration, Data: []byte("two"), Extensions: []byte("ext")},
		{Index: 3, Term: 2, Type: hraft.LogNoop},
	}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if first, _ := s.FirstIndex(); first != 1 {
		t.Fatalf("first %d", first)
	}
	if last, _ := s.LastIndex(); last != 3 {
		t.Fatalf("last %d", last)
	}
	var got hraft.Log
	if err := s.GetLog(2, &got); err != nil || string(got.Data) != "two" || string(got.Extensions) != "ext" || got.Type != hraft.LogConfiguration {
		t.Fatalf("GetLog(2) = %+v, %v", got, err)
	}
	if err := s.GetLog(1, &got); err != nil || !got.AppendedAt.Equal(now) {
		t.Fatalf("GetLog(1) time = %v, %v", got.AppendedAt, err)
	}
	if err := s.DeleteRange(1, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.GetLog(1, &got); !errors.Is(err, hraft.ErrLogNotFound) {
		t.Fatalf("deleted log: %v", err)
	}
	if first, _ := s.FirstIndex(); first != 3 {
		t.Fatalf("first after delete %d", first)
	}
	if err := s.SetUint64([]byte("term"), 7); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.GetUint64([]byte("term")); v != 7 {
		t.Fatalf("term %d", v)
	}
	if v, _ := s.Get([]byte("missing")); v == nil || len(v) != 0 {
		t.Fatalf("missing stable key: %v", v)
	}
}
