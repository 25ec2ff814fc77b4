//go:build unix

package ha

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
)

const (
	writers = 64
	// killAfter acknowledged writes the leader is SIGKILLed; the storm goes
	// on until afterFailover more writes are acknowledged by the new leader.
	killAfter     = 400
	afterFailover = 400
)

func keyValue(key string, version int) string { return fmt.Sprintf("%s@%d", key, version) }

// storm is the shared state of the writers.
type storm struct {
	tc       *testCluster
	acks     atomic.Int64
	killed   atomic.Bool
	postKill atomic.Int64
	firstOK  chan time.Time
	once     sync.Once
	stop     chan struct{}
}

// writerResult is what one writer saw: its key and the highest version it
// had acknowledged.
type writerResult struct {
	key   string
	acked int
}

// TestFailover: 64 writers CAS-write KV v2 versions through all three
// nodes; the active node is SIGKILLed mid-storm. A new active node takes
// writes (the time is printed), every acknowledged version reads back, and
// every key's versions run 1..n with no gap and no duplicate. The killed
// node then restarts sealed, is unsealed, catches up, and serves the
// latest data.
func TestFailover(t *testing.T) {
	tc := newCluster(t, 3)
	tc.form()
	c := tc.members[0].client(tc.root)
	if err := c.Sys().Mount("secret", &api.MountInput{Type: "kv-v2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Logical().Write("secret/config", map[string]any{"max_versions": 10000}); err != nil {
		t.Fatal(err)
	}
	old := tc.active(10 * time.Second)

	s := &storm{tc: tc, firstOK: make(chan time.Time, 1), stop: make(chan struct{})}
	results := make([]writerResult, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[w] = s.writer(w)
		}()
	}
	eventually(t, 60*time.Second, func() error {
		if s.acks.Load() < killAfter {
			return fmt.Errorf("%d acks", s.acks.Load())
		}
		return nil
	})
	old.p.Kill(t)
	killedAt := time.Now()
	s.killed.Store(true)
	var failover time.Duration
	select {
	case at := <-s.firstOK:
		failover = at.Sub(killedAt)
	case <-time.After(60 * time.Second):
		close(s.stop)
		wg.Wait()
		t.Fatalf("no write succeeded in 60s after the leader was killed")
	}
	eventually(t, 60*time.Second, func() error {
		if s.postKill.Load() < afterFailover {
			return fmt.Errorf("%d acks after the kill", s.postKill.Load())
		}
		return nil
	})
	close(s.stop)
	wg.Wait()
	t.Logf("failover: leader %s SIGKILLed; first acknowledged write %v later; %d writes acknowledged", old.id, failover, s.acks.Load())

	now := tc.active(30 * time.Second)
	if now == old {
		t.Fatal("the killed node is still named active")
	}
	reader := tc.standbys(now)[0].client(tc.root)
	verifyKeys(t, reader, results)

	// The killed node restarts sealed, is unsealed, catches up and serves
	// (forwarded) reads that see the latest writes.
	tc.start(old)
	if st, err := old.client("").Sys().SealStatus(); err != nil || !st.Sealed {
		t.Fatalf("restarted node: sealed=%v err=%v", st != nil && st.Sealed, err)
	}
	tc.unseal(old)
	l, err := leaderOf(now)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func() error {
		ol, err := leaderOf(old)
		if err != nil {
			return err
		}
		if ol.RaftAppliedIndex < l.RaftCommittedIndex {
			return fmt.Errorf("restarted node applied %d of %d", ol.RaftAppliedIndex, l.RaftCommittedIndex)
		}
		return nil
	})
	verifyKeys(t, old.client(tc.root), results)
}

// writer CAS-writes version after version of its own key, through node
// w%3 first and the next live node when one fails. A write whose answer
// was lost is settled by reading the key's metadata.
func (s *storm) writer(w int) writerResult {
	key := fmt.Sprintf("k%02d", w)
	res := writerResult{key: key}
	node := w % len(s.tc.members)
	clients := make([]*api.Client, len(s.tc.members))
	for i, m := range s.tc.members {
		clients[i] = m.client(s.tc.root)
	}
	next := 1
	for {
		select {
		case <-s.stop:
			return res
		default:
		}
		kv := clients[node].KVv2("secret")
		_, err := kv.Put(context.Background(), key, map[string]any{"v": keyValue(key, next)}, api.WithCheckAndSet(next-1))
		if err == nil {
			res.acked = next
			next++
			s.ack()
			continue
		}
		node = (node + 1) % len(clients)
		// Settle: did the write land even though the answer was an error?
		if cur, err := s.currentVersion(clients, key); err == nil && cur >= next {
			next = cur + 1
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *storm) ack() {
	s.acks.Add(1)
	if s.killed.Load() {
		s.postKill.Add(1)
		s.once.Do(func() { s.firstOK <- time.Now() })
	}
}

// currentVersion asks any node for the key's current version.
func (s *storm) currentVersion(clients []*api.Client, key string) (int, error) {
	var errs []error
	for _, c := range clients {
		md, err := c.KVv2("secret").GetMetadata(context.Background(), key)
		if errors.Is(err, api.ErrSecretNotFound) {
			return 0, nil
		}
		if err == nil {
			return md.CurrentVersion, nil
		}
		errs = append(errs, err)
	}
	return 0, errors.Join(errs...)
}

// verifyKeys reads every key through c: its versions are exactly 1..n,
// each holding its own value (so no gap and no duplicate), and n is at
// least the highest acknowledged version.
func verifyKeys(t *testing.T, c *api.Client, results []writerResult) {
	t.Helper()
	for _, r := range results {
		md, err := c.KVv2("secret").GetMetadata(context.Background(), r.key)
		if err != nil {
			t.Errorf("%s: metadata: %v", r.key, err)
			continue
		}
		if md.CurrentVersion < r.acked || len(md.Versions) != md.CurrentVersion {
			t.Errorf("%s: current version %d with %d versions; %d acknowledged", r.key, md.CurrentVersion, len(md.Versions), r.acked)
			continue
		}
		for v := 1; v <= md.CurrentVersion; v++ {
			sec, err := c.KVv2("secret").GetVersion(context.Background(), r.key, v)
			if err != nil {
				t.Errorf("%s version %d: %v", r.key, v, err)
				continue
			}
			if got := sec.Data["v"]; got != keyValue(r.key, v) {
				t.Errorf("%s version %d holds %v, want %s", r.key, v, got, keyValue(r.key, v))
			}
		}
	}
}
