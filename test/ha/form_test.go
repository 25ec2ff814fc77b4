//go:build unix

package ha

import (
	"net/http"
	"testing"
	"time"
)

// TestFormCluster: init on one node, unseal all three, the other two join
// through retry_join by themselves; the configuration lists three voters,
// one active node, two standbys that answer sys/health with 429 (200 with
// standbyok) and sys/leader with the active node's addresses.
func TestFormCluster(t *testing.T) {
	tc := newCluster(t, 3)
	tc.form()
	ps, err := tc.peers(tc.members[1]) // through a standby: forwarded
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, tc.members[1].p.Out, tc.members[0].p.Out)
	}
	if len(ps) != 3 {
		t.Fatalf("peers = %+v", ps)
	}
	a := tc.active(10 * time.Second)
	for _, s := range tc.standbys(a) {
		if got := health(t, s, ""); got != http.StatusTooManyRequests {
			t.Errorf("%s sys/health = %d, want 429", s.id, got)
		}
		if got := health(t, s, "?standbyok=true"); got != http.StatusOK {
			t.Errorf("%s sys/health?standbyok = %d, want 200", s.id, got)
		}
		l, err := leaderOf(s)
		if err != nil {
			t.Fatal(err)
		}
		if !l.HAEnabled || l.IsSelf || l.LeaderAddress != a.url() || l.LeaderClusterAddress != "https://"+a.cluster {
			t.Errorf("%s sys/leader = %+v", s.id, l)
		}
		if l.RaftCommittedIndex == 0 || l.RaftAppliedIndex == 0 {
			t.Errorf("%s raft indexes = %d/%d", s.id, l.RaftCommittedIndex, l.RaftAppliedIndex)
		}
	}
	if got := health(t, a, ""); got != http.StatusOK {
		t.Errorf("active sys/health = %d", got)
	}
}
