//go:build unix

package ha

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/cluster"
	"github.com/vaultd/vaultd/core"
	"github.com/vaultd/vaultd/test/proc"
)

// TestOperations runs on one three-node cluster, in order: token
// revocation seen through a standby, joins that must fail, SIGSTOP of a
// follower and of the leader, a lease expiring across a failover, and a
// snapshot restored onto wiped nodes.
func TestOperations(t *testing.T) {
	tc := newCluster(t, 3)
	tc.form()
	c := tc.members[0].client(tc.root)
	if err := c.Sys().Mount("secret", &api.MountInput{Type: "kv-v2"}); err != nil {
		t.Fatal(err)
	}
	t.Run("RevokedTokenRefusedThroughStandby", func(t *testing.T) { revokedToken(t, tc) })
	t.Run("ChangedPolicyThroughStandby", func(t *testing.T) { changedPolicy(t, tc) })
	t.Run("JoinRefused", func(t *testing.T) { joinRefused(t, tc) })
	t.Run("BadInput", func(t *testing.T) { badInput(t, tc) })
	t.Run("SIGSTOPFollower", func(t *testing.T) { stopFollower(t, tc) })
	t.Run("SIGSTOPLeader", func(t *testing.T) { stopLeader(t, tc) })
	t.Run("LeaseExpiresOnceAcrossFailover", func(t *testing.T) { leaseAcrossFailover(t, tc) })
	t.Run("SnapshotWipeRestore", func(t *testing.T) { snapshotRestore(t, tc) })
}

func revokedToken(t *testing.T, tc *testCluster) {
	a := tc.active(10 * time.Second)
	sec, err := a.client(tc.root).Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"default"}, TTL: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	tok := sec.Auth.ClientToken
	for _, s := range tc.standbys(a) {
		if _, err := s.client(tok).Auth().Token().LookupSelf(); err != nil {
			t.Fatalf("fresh token through %s: %v", s.id, err)
		}
	}
	if err := a.client(tc.root).Auth().Token().RevokeTree(tok); err != nil {
		t.Fatal(err)
	}
	for _, s := range tc.standbys(a) {
		_, err := s.client(tok).Auth().Token().LookupSelf()
		var re *api.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden {
			t.Errorf("revoked token through %s: %v, want 403", s.id, err)
		}
	}
}

// changedPolicy: a policy narrowed on the active node binds the next
// request through a standby.
func changedPolicy(t *testing.T, tc *testCluster) {
	a := tc.active(10 * time.Second)
	root := a.client(tc.root)
	if _, err := root.KVv2("secret").Put(bg(), "team", map[string]any{"v": "x"}); err != nil {
		t.Fatal(err)
	}
	if err := root.Sys().PutPolicy("team", `path "secret/data/team" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	sec, err := root.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"team"}, TTL: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	s := tc.standbys(a)[0].client(sec.Auth.ClientToken)
	if _, err := s.KVv2("secret").Get(bg(), "team"); err != nil {
		t.Fatalf("read allowed by the policy, through a standby: %v", err)
	}
	if err := root.Sys().PutPolicy("team", `path "secret/data/other" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	_, err = s.KVv2("secret").Get(bg(), "team")
	var re *api.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden {
		t.Fatalf("read after the policy was narrowed, through a standby: %v, want 403", err)
	}
}

// badInput: every malformed HA request is a 400 naming the problem, and
// the configuration is unchanged afterwards.
func badInput(t *testing.T, tc *testCluster) {
	a := tc.active(10 * time.Second)
	before, err := tc.peers(a)
	if err != nil {
		t.Fatal(err)
	}
	root := a.client(tc.root)
	for _, c := range []struct {
		name, path string
		body       map[string]any
		want       string
	}{
		{"challenge without server_id", "sys/storage/raft/bootstrap/challenge", map[string]any{}, "server_id"},
		{"challenge with a slash in server_id", "sys/storage/raft/bootstrap/challenge", map[string]any{"server_id": "a/b"}, "server_id"},
		{"answer without server_id", "sys/storage/raft/bootstrap/answer", map[string]any{"answer": "AAAA"}, "server_id"},
		{"answer not base64", "sys/storage/raft/bootstrap/answer", map[string]any{"server_id": "x", "answer": "%%%"}, "base64"},
		{"answer without a challenge", "sys/storage/raft/bootstrap/answer", map[string]any{"server_id": "never-asked", "answer": "AAAA", "cluster_addr": "https://127.0.0.1:1"}, "no pending challenge"},
		{"answer with a bad cluster_addr", "sys/storage/raft/bootstrap/answer", map[string]any{"server_id": "x", "answer": "AAAA", "cluster_addr": "nowhere"}, "cluster_addr"},
		{"remove-peer without server_id", "sys/storage/raft/remove-peer", map[string]any{}, "server_id"},
		{"remove-peer of a stranger", "sys/storage/raft/remove-peer", map[string]any{"server_id": "stranger"}, "no peer"},
		{"remove-peer of the active node", "sys/storage/raft/remove-peer", map[string]any{"server_id": a.id}, "step down first"},
		{"join on a member", "sys/storage/raft/join", map[string]any{"leader_api_addr": a.url()}, "already a member"},
		{"join without a URL", "sys/storage/raft/join", map[string]any{"leader_api_addr": "vaultd-0:8200"}, "leader_api_addr"},
		{"join as a non-voter", "sys/storage/raft/join", map[string]any{"leader_api_addr": a.url(), "non_voter": true}, "non_voter"},
	} {
		_, err := root.Logical().Write(c.path, c.body)
		var re *api.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want 400 mentioning %q", c.name, err, c.want)
		}
	}
	if err := root.Sys().RaftSnapshotRestore(strings.NewReader("not a snapshot"), false); err == nil {
		t.Error("a restore of garbage succeeded")
	}
	after, err := tc.peers(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("the configuration changed: %+v -> %+v", before, after)
	}
}

// joinRefused: a node that is never unsealed stays out of the cluster; a
// wrong answer to a challenge is refused and adds no one; and a node with
// another cluster's key pair (or none) cannot open the cluster port.
func joinRefused(t *testing.T, tc *testCluster) {
	a := tc.active(10 * time.Second)
	// A fourth node with retry_join: it gets a challenge, but nobody
	// unseals it.
	extra := &member{t: t, id: "vaultd-x", dir: t.TempDir(), api: freeAddr(t), cluster: freeAddr(t)}
	extra.writeConfig(append([]*member{extra}, a))
	tc.start(extra)
	tc.waitInitialized(extra)
	st, err := extra.client("").Sys().SealStatus()
	if err != nil || !st.Sealed {
		t.Fatalf("the joining node: %+v, %v", st, err)
	}

	// A wrong answer to a challenge of our own.
	api0 := a.client("")
	if _, err := api0.Logical().Write("sys/storage/raft/bootstrap/challenge", map[string]any{"server_id": "intruder"}); err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, 32)
	_, _ = rand.Read(junk)
	_, err = api0.Logical().Write("sys/storage/raft/bootstrap/answer", map[string]any{
		"server_id": "intruder", "answer": base64.StdEncoding.EncodeToString(junk), "cluster_addr": "https://127.0.0.1:1",
	})
	var re *api.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || !strings.Contains(err.Error(), "invalid answer") {
		t.Fatalf("wrong answer: %v, want 400 invalid answer", err)
	}
	// A second try with the same challenge is refused too: one try each.
	_, err = api0.Logical().Write("sys/storage/raft/bootstrap/answer", map[string]any{
		"server_id": "intruder", "answer": base64.StdEncoding.EncodeToString(junk), "cluster_addr": "https://127.0.0.1:1",
	})
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest {
		t.Fatalf("second answer: %v, want 400", err)
	}
	time.Sleep(2 * time.Second) // give a wrongly admitted node time to show up
	ps, err := tc.peers(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.NodeID == "vaultd-x" || p.NodeID == "intruder" {
			t.Errorf("%s joined without the unseal key: %+v", p.NodeID, ps)
		}
	}
	if len(ps) != 3 {
		t.Errorf("peers = %+v", ps)
	}

	// The cluster port: no credentials, or another cluster's, get nothing.
	l, err := cluster.Listen("127.0.0.1:0", "127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.DialForward(ctx, a.cluster); !errors.Is(err, cluster.ErrNoTLS) {
		t.Errorf("dial without credentials: %v", err)
	}
	other, err := cluster.GenerateTLS(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetTLS(other); err != nil {
		t.Fatal(err)
	}
	if conn, err := l.DialForward(ctx, a.cluster); err == nil {
		// TLS 1.3 reports a refused client certificate on first use.
		_, _ = conn.Write([]byte("GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n"))
		buf := make([]byte, 64)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, rerr := conn.Read(buf); rerr == nil {
			t.Errorf("another cluster's key pair got an answer: %q", buf[:n])
		}
		conn.Close()
	}
	extra.p.Stop(t, 30*time.Second)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	return proc.FreeAddr(t)
}

// stopFollower: a follower paused while the cluster moves on serves the
// latest data once resumed (it forwards; it never answers from its own
// stale copy).
func stopFollower(t *testing.T, tc *testCluster) {
	a := tc.active(10 * time.Second)
	f := tc.standbys(a)[0]
	kv := a.client(tc.root).KVv2("secret")
	if _, err := kv.Put(bg(), "paused", map[string]any{"v": "before"}); err != nil {
		t.Fatal(err)
	}
	f.p.Signal(t, syscall.SIGSTOP)
	if _, err := kv.Put(bg(), "paused", map[string]any{"v": "after"}); err != nil {
		f.p.Signal(t, syscall.SIGCONT)
		t.Fatal(err)
	}
	f.p.Signal(t, syscall.SIGCONT)
	sec, err := f.client(tc.root).KVv2("secret").Get(bg(), "paused")
	if err != nil {
		t.Fatal(err)
	}
	if sec.Data["v"] != "after" {
		t.Fatalf("resumed follower answered %v", sec.Data)
	}
}

// stopLeader: the leader is paused, the others elect a new one and take a
// write; once resumed, the old leader must not answer with the old value
// as if it were still active.
func stopLeader(t *testing.T, tc *testCluster) {
	old := tc.active(10 * time.Second)
	if _, err := old.client(tc.root).KVv2("secret").Put(bg(), "stale", map[string]any{"v": "old"}); err != nil {
		t.Fatal(err)
	}
	old.p.Signal(t, syscall.SIGSTOP)
	resumed := false
	defer func() {
		if !resumed {
			old.p.Signal(t, syscall.SIGCONT)
		}
	}()
	var now *member
	eventually(t, 30*time.Second, func() error {
		for _, m := range tc.standbys(old) {
			if l, err := leaderOf(m); err == nil && l.IsSelf {
				now = m
				return nil
			}
		}
		return errors.New("no new active node")
	})
	if _, err := now.client(tc.root).KVv2("secret").Put(bg(), "stale", map[string]any{"v": "new"}); err != nil {
		t.Fatal(err)
	}
	old.p.Signal(t, syscall.SIGCONT)
	resumed = true
	cl := old.client(tc.root)
	good := 0
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		sec, err := cl.KVv2("secret").Get(bg(), "stale")
		if err == nil {
			if sec.Data["v"] != "new" {
				t.Fatalf("the resumed old leader served a stale value: %v", sec.Data)
			}
			good++
		}
		time.Sleep(20 * time.Millisecond)
	}
	if good == 0 {
		t.Fatal("the resumed old leader never served the (forwarded) value")
	}
	l, err := leaderOf(old)
	if err != nil || l.IsSelf {
		t.Fatalf("resumed old leader still says active: %+v %v", l, err)
	}
}

// leaseAcrossFailover: a token with a short TTL is made, its active node
// killed before it expires; the new active node revokes it, and across all
// three nodes' logs the revocation ran exactly once.
func leaseAcrossFailover(t *testing.T, tc *testCluster) {
	a := tc.active(10 * time.Second)
	sec, err := a.client(tc.root).Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"default"}, TTL: "8s"})
	if err != nil {
		t.Fatal(err)
	}
	tok, hash := sec.Auth.ClientToken, core.AccessorHash(sec.Auth.Accessor)
	a.p.Kill(t)
	now := tc.active(30 * time.Second)
	eventually(t, 60*time.Second, func() error {
		_, err := now.client(tok).Auth().Token().LookupSelf()
		if err == nil {
			return errors.New("the token is still alive")
		}
		return nil
	})
	time.Sleep(2 * time.Second) // a second revocation, if any, would log by now
	count := 0
	for _, m := range tc.members {
		count += strings.Count(m.p.Out.String(), "accessor_sha256="+hash)
	}
	if count != 1 {
		t.Fatalf("the lease was revoked %d times, want once", count)
	}
	tc.start(a)
	tc.unseal(a)
}

// snapshotRestore: a snapshot is saved through a standby (streamed from the
// active node), every node is wiped and a new cluster formed, the snapshot
// is restored onto it with snapshot-force, and after unsealing with the
// original shares the data is equal.
func snapshotRestore(t *testing.T, tc *testCluster) {
	a := tc.active(30 * time.Second)
	kv := a.client(tc.root).KVv2("secret")
	want := map[string]string{}
	for i := range 20 {
		k, v := fmt.Sprintf("snap%02d", i), fmt.Sprintf("value-%d", i)
		if _, err := kv.Put(bg(), k, map[string]any{"v": v}); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	var snap bytes.Buffer
	if err := tc.standbys(a)[0].client(tc.root).Sys().RaftSnapshot(&snap); err != nil {
		t.Fatalf("snapshot save: %v", err)
	}
	if snap.Len() == 0 {
		t.Fatal("empty snapshot")
	}
	oldRoot, oldShares := tc.root, tc.shares

	for _, m := range tc.members {
		if m.p.Exited() {
			t.Fatalf("%s exited on its own (%v):\n%s", m.id, m.p.Cmd.ProcessState, m.p.Out)
		}
		m.p.Stop(t, 30*time.Second)
		m.wipe()
	}
	for _, m := range tc.members {
		tc.start(m)
	}
	tc.form() // a brand-new cluster, new shares
	if tc.root == oldRoot {
		t.Fatal("the wiped cluster kept its root token")
	}
	if _, err := tc.members[0].client(tc.root).KVv2("secret").Get(bg(), "snap00"); err == nil {
		t.Fatal("the wiped cluster still holds the data")
	}
	na := tc.active(10 * time.Second)
	// Without force, another cluster's snapshot is refused.
	err := na.client(tc.root).Sys().RaftSnapshotRestore(bytes.NewReader(snap.Bytes()), false)
	var re *api.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || !strings.Contains(err.Error(), "snapshot-force") {
		t.Fatalf("restore of another cluster's snapshot without force: %v, want 400", err)
	}
	// A damaged snapshot is refused, even forced.
	damaged := append([]byte(nil), snap.Bytes()[:snap.Len()/2]...)
	if err := na.client(tc.root).Sys().RaftSnapshotRestore(bytes.NewReader(damaged), true); !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest {
		t.Fatalf("restore of a truncated snapshot: %v, want 400", err)
	}
	if _, err := na.client(tc.root).Sys().Health(); err != nil {
		t.Fatalf("after the refused restores: %v", err)
	}
	if err := na.client(tc.root).Sys().RaftSnapshotRestore(bytes.NewReader(snap.Bytes()), true); err != nil {
		t.Fatalf("snapshot-force restore: %v", err)
	}
	// Every node receives the restored data through Raft.
	l, err := leaderOf(na)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range tc.members {
		eventually(t, 30*time.Second, func() error {
			ml, err := leaderOf(m)
			if err != nil {
				return err
			}
			if ml.RaftAppliedIndex < l.RaftCommittedIndex {
				return fmt.Errorf("%s applied %d of %d", m.id, ml.RaftAppliedIndex, l.RaftCommittedIndex)
			}
			return nil
		})
	}
	// The data is sealed with the original cluster's keys: restart every
	// node and unseal with the original shares.
	tc.root, tc.shares = oldRoot, oldShares
	for _, m := range tc.members {
		m.p.Stop(t, 30*time.Second)
	}
	for _, m := range tc.members {
		tc.start(m)
	}
	for _, m := range tc.members {
		tc.unseal(m)
	}
	b := tc.active(30 * time.Second)
	for _, m := range append([]*member{b}, tc.standbys(b)...) {
		kv := m.client(tc.root).KVv2("secret")
		for k, v := range want {
			sec, err := kv.Get(bg(), k)
			if err != nil {
				t.Fatalf("%s through %s: %v", k, m.id, err)
			}
			if sec.Data["v"] != v {
				t.Fatalf("%s through %s = %v, want %s", k, m.id, sec.Data, v)
			}
		}
	}
}
