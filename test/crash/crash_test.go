//go:build unix

package crash

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
)

const (
	// rounds is how many times the server is killed.
	rounds = 20
	// clients write concurrently in every round.
	clients = 64
	// The server is killed at a random time in [minWrite, maxWrite) after
	// the first warmAcks writes of a round were acknowledged.
	minWrite, maxWrite = 100 * time.Millisecond, 700 * time.Millisecond
	warmAcks           = clients
)

// ack is one write the server acknowledged with a 200.
type ack struct {
	key     string
	version int
	value   string
}

// hotKey is a key written with check-and-set by one client in one round:
// version n always holds hotValue(key, n), so any version the metadata
// names can be checked, acknowledged or not.
type hotKey struct {
	key   string
	acked int // the highest acknowledged version
}

func hotValue(key string, version int) string { return fmt.Sprintf("%s@%d", key, version) }

// round is what one round's writers did.
type round struct {
	acks []ack
	hot  []hotKey
}

// TestSIGKILLDuringWrites kills a bbolt-backed vaultd with SIGKILL while 64
// clients write, 20 times over the same data file. After every kill the
// file must pass bbolt's consistency check, and after the restart and
// unseal every acknowledged write of the round must read back with its
// value, and every version a check-and-set key's metadata names must hold
// that version's value (no metadata naming a version that is not there).
// At the end every acknowledged write of every round is read once more.
//
// It runs twice: over storage "bbolt", and over storage "raft" as a
// cluster of one node (a valid production setup: init bootstraps it).
func TestSIGKILLDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: builds and kills a real server 20 times")
	}
	bin := buildVaultd(t)
	for _, backend := range []string{"bbolt", "raft"} {
		t.Run(backend, func(t *testing.T) { crashRounds(t, bin, backend) })
	}
}

func crashRounds(t *testing.T, bin, backend string) {
	configPath, dataPath := writeConfig(t, t.TempDir(), backend)

	srv := startServer(t, bin, configPath)
	c := srv.client("")
	initResp, err := c.Sys().Init(&api.InitRequest{SecretShares: 1, SecretThreshold: 1})
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	root, share := initResp.RootToken, initResp.KeysB64[0]
	c.SetToken(root)
	srv.unseal(c, share)
	if err := c.Sys().Mount("secret", &api.MountInput{Type: "kv-v2"}); err != nil {
		t.Fatalf("mount secret/: %v", err)
	}
	// Keep every version of the check-and-set keys readable.
	if _, err := c.Logical().Write("secret/config", map[string]any{"max_versions": 1000}); err != nil {
		t.Fatalf("secret/config: %v", err)
	}

	var all []ack
	for r := range rounds {
		res := writeAndKill(t, srv, c, r)
		checkDataFile(t, dataPath)
		if backend == "raft" {
			checkBoltFile(t, filepath.Join(filepath.Dir(dataPath), "raft", "raft.db"))
		}

		srv = startServer(t, bin, configPath)
		c = srv.client(root)
		srv.unseal(c, share)
		verifyAcks(t, c, res.acks)
		verifyHotKeys(t, c, res.hot)
		all = append(all, res.acks...)
		t.Logf("round %2d: %4d writes acknowledged before the kill", r, len(res.acks))
		if t.Failed() {
			return
		}
	}
	verifyAcks(t, c, all)
	// A graceful stop waits up to five seconds for connections that were
	// opened but never used; close the client's pool first.
	c.CloneConfig().HttpClient.CloseIdleConnections()
	srv.stop()
	checkDataFile(t, dataPath)
	t.Logf("%d acknowledged writes survived %d kills", len(all), rounds)
}

// writeAndKill runs the writers of round r against srv and kills the
// server with SIGKILL while they write: at a random moment after the first
// warmAcks acknowledgements, so that every round kills mid-stream however
// slow the machine is.
func writeAndKill(t *testing.T, srv *server, c *api.Client, r int) round {
	t.Helper()
	var (
		killed atomic.Bool
		wg     sync.WaitGroup
		mu     sync.Mutex
		res    round
		acked  atomic.Int64
		warm   = make(chan struct{})
		once   sync.Once
	)
	onAck := func() {
		if acked.Add(1) == warmAcks {
			once.Do(func() { close(warm) })
		}
	}
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acks, hot, err := writer(c, r, w, onAck)
			mu.Lock()
			defer mu.Unlock()
			res.acks = append(res.acks, acks...)
			res.hot = append(res.hot, hot)
			if err != nil && !killed.Load() {
				t.Errorf("round %d writer %d failed before the kill: %v", r, w, err)
			}
		}()
	}
	select {
	case <-warm:
	case <-time.After(30 * time.Second):
		t.Errorf("round %d: %d writes acknowledged in 30s, want %d before the kill", r, acked.Load(), warmAcks)
	}
	time.Sleep(minWrite + rand.N(maxWrite-minWrite))
	killed.Store(true)
	srv.kill()
	wg.Wait()
	return res
}

// writer alternates between a new key (version 1) and the next version of
// its check-and-set key until a write fails, which happens once the
// server is killed, calling onAck after each acknowledged write. It returns
// what was acknowledged and the error that stopped it.
func writer(c *api.Client, r, w int, onAck func()) ([]ack, hotKey, error) {
	ctx := context.Background()
	hot := hotKey{key: fmt.Sprintf("r%02d/w%02d/hot", r, w)}
	var acks []ack
	for i := 0; ; i++ {
		var (
			key, value string
			body       = map[string]any{}
			version    int
		)
		if i%2 == 0 {
			key = fmt.Sprintf("r%02d/w%02d/k%04d", r, w, i/2)
			value = fmt.Sprintf("round %d writer %d write %d %x", r, w, i, rand.Uint64())
			version = 1
		} else {
			key, version = hot.key, hot.acked+1
			value = hotValue(hot.key, version)
			body["options"] = map[string]any{"cas": hot.acked}
		}
		body["data"] = map[string]any{"v": value}
		sec, err := c.Logical().WriteWithContext(ctx, "secret/data/"+key, body)
		if err != nil {
			return acks, hot, err
		}
		got, err := versionOf(sec)
		if err != nil {
			return acks, hot, err
		}
		if got != version {
			return acks, hot, fmt.Errorf("write to %s acknowledged as version %d, want %d", key, got, version)
		}
		acks = append(acks, ack{key: key, version: version, value: value})
		onAck()
		if key == hot.key {
			hot.acked = version
		}
	}
}

func versionOf(sec *api.Secret) (int, error) {
	if sec == nil {
		return 0, errors.New("a 200 without a body")
	}
	n, ok := sec.Data["version"].(json.Number)
	if !ok {
		return 0, fmt.Errorf("no version in %v", sec.Data)
	}
	v, err := n.Int64()
	return int(v), err
}

// verifyAcks reads every acknowledged write back, 32 readers at a time.
func verifyAcks(t *testing.T, c *api.Client, acks []ack) {
	t.Helper()
	work := make(chan ack)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				if err := readBack(c, a.key, a.version, a.value); err != nil {
					t.Errorf("acknowledged write lost: %v", err)
				}
			}
		}()
	}
	for _, a := range acks {
		work <- a
	}
	close(work)
	wg.Wait()
}

// verifyHotKeys checks each check-and-set key: the current version is at
// least the last acknowledged one, at most one unacknowledged write past
// it (the one in flight at the kill) was committed, and every version the
// metadata names holds that version's value.
func verifyHotKeys(t *testing.T, c *api.Client, hot []hotKey) {
	t.Helper()
	for _, h := range hot {
		md, err := c.KVv2("secret").GetMetadata(context.Background(), h.key)
		if h.acked == 0 && errors.Is(err, api.ErrSecretNotFound) {
			continue // nothing acknowledged and nothing committed
		}
		if err != nil {
			t.Errorf("%s: metadata: %v", h.key, err)
			continue
		}
		if md.CurrentVersion < h.acked || md.CurrentVersion > h.acked+1 || len(md.Versions) != md.CurrentVersion {
			t.Errorf("%s: current_version %d with %d versions; %d acknowledged", h.key, md.CurrentVersion, len(md.Versions), h.acked)
			continue
		}
		for v := 1; v <= md.CurrentVersion; v++ {
			if err := readBack(c, h.key, v, hotValue(h.key, v)); err != nil {
				t.Errorf("metadata names a version that is not there: %v", err)
			}
		}
	}
}

// readBack reads one version and compares its value.
func readBack(c *api.Client, key string, version int, want string) error {
	got, err := c.KVv2("secret").GetVersion(context.Background(), key, version)
	if err != nil {
		return fmt.Errorf("%s version %d: %w", key, version, err)
	}
	if got.Data["v"] != want {
		return fmt.Errorf("%s version %d holds %v, want %q", key, version, got.Data, want)
	}
	return nil
}
