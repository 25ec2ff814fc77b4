//go:build unix

package ha

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/test/proc"
)

// cli runs `vaultd ARGS...` as the vault CLI against addr with token and
// returns its output; it fails the test on a non-zero exit.
func (tc *testCluster) cli(t *testing.T, addr, token string, args ...string) string {
	t.Helper()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "VAULT_ADDR=" + addr, "VAULT_TOKEN=" + token}
	p := proc.Start(t, tc.bin, proc.Options{Env: env}, args...)
	if err := p.Wait(t, 60*time.Second); err != nil {
		t.Fatalf("vaultd %s: %v\n%s", strings.Join(args, " "), err, p.Out)
	}
	return p.Out.String()
}

// TestCLIRaftAndStepDown drives the operator raft commands with the binary
// as the vault CLI: join a node that has no retry_join, list the peers,
// save and restore a snapshot, remove a peer; and steps the active node
// down through sys/step-down, after which another node is active and
// sys/ha-status names it.
func TestCLIRaftAndStepDown(t *testing.T) {
	tc := newCluster(t, 2)
	tc.form()
	a := tc.active(10 * time.Second)

	// A third node with no retry_join joins by the CLI.
	n := &member{t: t, id: "vaultd-cli", dir: t.TempDir(), api: proc.FreeAddr(t), cluster: proc.FreeAddr(t)}
	n.writeConfig([]*member{n})
	tc.start(n)
	out := tc.cli(t, n.url(), "", "operator", "raft", "join", a.url())
	if !regexp.MustCompile(`Joined\s+true`).MatchString(out) {
		t.Fatalf("join output:\n%s", out)
	}
	tc.members = append(tc.members, n)
	tc.unseal(n)
	tc.waitVoters(3)

	// vault status on a standby: HA mode, the active node, Raft indexes.
	out = tc.cli(t, n.url(), "", "status")
	for _, want := range []string{`HA Enabled\s+true`, `HA Mode\s+standby`, `Active Node Address\s+` + regexp.QuoteMeta(a.url()), `Raft Committed Index\s+[1-9]`, `Storage Type\s+raft`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("vault status on a standby lacks %s:\n%s", want, out)
		}
	}

	out = tc.cli(t, n.url(), tc.root, "operator", "raft", "list-peers")
	for _, m := range tc.members {
		if !regexp.MustCompile(regexp.QuoteMeta(m.id) + `\s+` + regexp.QuoteMeta(m.cluster) + `\s+(leader|follower)\s+true`).MatchString(out) {
			t.Errorf("list-peers lacks %s:\n%s", m.id, out)
		}
	}
	if strings.Count(out, "leader") != 1 {
		t.Errorf("list-peers names %d leaders:\n%s", strings.Count(out, "leader"), out)
	}

	snap := filepath.Join(t.TempDir(), "raft.snap")
	tc.cli(t, n.url(), tc.root, "operator", "raft", "snapshot", "save", snap)
	if st, err := os.Stat(snap); err != nil || st.Size() == 0 {
		t.Fatalf("snapshot file: %v", err)
	}
	tc.cli(t, a.url(), tc.root, "operator", "raft", "snapshot", "restore", snap)
	tc.active(30 * time.Second)

	// sys/step-down: another node takes over.
	a = tc.active(30 * time.Second)
	if err := a.client(tc.root).Sys().StepDown(); err != nil {
		t.Fatalf("step-down: %v", err)
	}
	var b *member
	eventually(t, 30*time.Second, func() error {
		b = tc.active(30 * time.Second)
		if b == a {
			return errString("the old active node is still active")
		}
		return nil
	})
	st, err := a.client(tc.root).Sys().HAStatus()
	if err != nil {
		t.Fatalf("ha-status: %v", err)
	}
	actives := 0
	for _, node := range st.Nodes {
		if node.ActiveNode {
			actives++
			if node.APIAddress != b.url() {
				t.Errorf("ha-status names %+v active, want %s", node, b.url())
			}
		}
	}
	if len(st.Nodes) != 3 || actives != 1 {
		t.Errorf("ha-status = %+v", st.Nodes)
	}

	// remove-peer: the CLI-joined node leaves the configuration.
	if b == n {
		t.Skip("the node to remove became active; nothing more to show")
	}
	out = tc.cli(t, a.url(), tc.root, "operator", "raft", "remove-peer", n.id)
	if !strings.Contains(out, "Peer removed successfully!") {
		t.Fatalf("remove-peer output:\n%s", out)
	}
	tc.members = tc.members[:2]
	tc.waitVoters(2)
}

type errString string

func (e errString) Error() string { return string(e) }
