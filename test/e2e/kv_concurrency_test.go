package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// kvWin is one acknowledged check-and-set write.
type kvWin struct{ writer, seq int }

// TestKVCheckAndSetRace has 64 goroutines write one key over HTTP, each
// write with cas set to the version the writer last saw. Every version
// number must be won by exactly one writer, the versions must run 1..N with
// no gap, every losing write must be Vault's check-and-set 400, and every
// acknowledged write must read back with the value its writer sent.
func TestKVCheckAndSetRace(t *testing.T) {
	const writers, target = 64, 64
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.NewClient(s.RootToken)
	ctx := context.Background()
	// Keep every version, so each acknowledged write stays readable.
	must(t, c.KVv2("secret").PutMetadata(ctx, "hot", api.KVMetadataPutInput{MaxVersions: 1000}), "max_versions")

	var (
		mu    sync.Mutex
		wins  = map[int]kvWin{}
		total atomic.Int64
		lost  atomic.Int64
		wg    sync.WaitGroup
	)
	record := func(version int, w kvWin) error {
		mu.Lock()
		defer mu.Unlock()
		if prev, dup := wins[version]; dup {
			return fmt.Errorf("version %d acknowledged to writer %d and to writer %d", version, prev.writer, w.writer)
		}
		wins[version] = w
		return nil
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := kvCASWriter(ctx, c, w, &total, &lost, target, record); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	n := len(wins)
	if n < target {
		t.Fatalf("%d versions won, want at least %d", n, target)
	}
	md, err := c.KVv2("secret").GetMetadata(ctx, "hot")
	must(t, err, "metadata")
	if md.CurrentVersion != n || len(md.Versions) != n {
		t.Fatalf("current_version %d with %d versions kept; %d writes were acknowledged", md.CurrentVersion, len(md.Versions), n)
	}
	perWriter := map[int]int{}
	for v := 1; v <= n; v++ {
		w, ok := wins[v]
		if !ok {
			t.Fatalf("version %d was never acknowledged: a gap", v)
		}
		got, err := c.KVv2("secret").GetVersion(ctx, "hot", v)
		must(t, err, fmt.Sprintf("read version %d", v))
		if got.Data["writer"] != json.Number(fmt.Sprint(w.writer)) || got.Data["seq"] != json.Number(fmt.Sprint(w.seq)) {
			t.Fatalf("version %d holds %v, but was acknowledged to writer %d seq %d", v, got.Data, w.writer, w.seq)
		}
		// A writer's own wins are in the order it made them.
		if w.seq != perWriter[w.writer] {
			t.Fatalf("writer %d: seq %d at version %d, want %d", w.writer, w.seq, v, perWriter[w.writer])
		}
		perWriter[w.writer]++
	}
	t.Logf("%d versions won by %d writers; %d check-and-set conflicts refused", n, len(perWriter), lost.Load())
}

// kvCASWriter writes until total reaches target: cas is the version this
// writer last saw; on a check-and-set refusal it reads the current version
// again, as a real check-and-set client does.
func kvCASWriter(ctx context.Context, c *api.Client, w int, total, lost *atomic.Int64, target int64,
	record func(int, kvWin) error) error {
	cur, seq := 0, 0
	for total.Load() < target {
		sec, err := c.Logical().WriteWithContext(ctx, "secret/data/hot", map[string]any{
			"data":    map[string]any{"writer": w, "seq": seq},
			"options": map[string]any{"cas": cur},
		})
		var re *api.ResponseError
		switch {
		case err == nil:
			v, err := sec.Data["version"].(json.Number).Int64()
			if err != nil {
				return fmt.Errorf("writer %d: version in %v: %w", w, sec.Data, err)
			}
			if v != int64(cur)+1 {
				return fmt.Errorf("writer %d: cas %d acknowledged as version %d", w, cur, v)
			}
			if err := record(int(v), kvWin{writer: w, seq: seq}); err != nil {
				return err
			}
			cur, seq = int(v), seq+1
			total.Add(1)
		case errors.As(err, &re) && re.StatusCode == http.StatusBadRequest &&
			strings.Contains(err.Error(), "check-and-set parameter did not match the current version"):
			lost.Add(1)
			sec, err := c.Logical().ReadWithContext(ctx, "secret/data/hot")
			if err != nil || sec == nil {
				return fmt.Errorf("writer %d: reread current version: %v %w", w, sec, err)
			}
			md, _ := sec.Data["metadata"].(map[string]any)
			v, err := md["version"].(json.Number).Int64()
			if err != nil {
				return fmt.Errorf("writer %d: version in %v: %w", w, md, err)
			}
			cur = int(v)
		default:
			return fmt.Errorf("writer %d: write with cas %d: %w", w, cur, err)
		}
	}
	return nil
}

// kvAck is one acknowledged write: the version the server gave it and the
// value sent.
type kvAck struct {
	key     string
	version int
	value   string
}

// TestKVParallelWritersSurviveRestart has 64 writers on different keys of a
// bbolt-backed server; after a clean restart and unseal every acknowledged
// write reads back, at its version, with its value.
func TestKVParallelWritersSurviveRestart(t *testing.T) {
	const writers, perWriter, keysPerWriter = 64, 12, 4
	s := vaulttest.Start(t, vaulttest.Options{Dir: t.TempDir()})
	c := s.NewClient(s.RootToken)
	ctx := context.Background()

	acks := make([][]kvAck, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				key := fmt.Sprintf("w%02d/k%d", w, i%keysPerWriter)
				value := fmt.Sprintf("writer %d write %d", w, i)
				sec, err := c.KVv2("secret").Put(ctx, key, map[string]any{"v": value, "n": i})
				if err != nil {
					t.Errorf("writer %d write %d: %v", w, i, err)
					return
				}
				acks[w] = append(acks[w], kvAck{key: key, version: sec.VersionMetadata.Version, value: value})
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// Close the pool first: a graceful shutdown waits up to five seconds
	// for connections that were opened but never sent a request.
	c.CloneConfig().HttpClient.CloseIdleConnections()
	s.Restart()
	s.Unseal(s.Shares...)
	c = s.NewClient(s.RootToken)
	for w, list := range acks {
		if len(list) != perWriter {
			t.Fatalf("writer %d: %d acknowledged writes, want %d", w, len(list), perWriter)
		}
		for i, a := range list {
			if want := i/keysPerWriter + 1; a.version != want {
				t.Fatalf("%s: write %d acknowledged as version %d, want %d", a.key, i, a.version, want)
			}
			got, err := c.KVv2("secret").GetVersion(ctx, a.key, a.version)
			must(t, err, fmt.Sprintf("read %s version %d after restart", a.key, a.version))
			if got.Data["v"] != a.value || got.Data["n"] != json.Number(fmt.Sprint(i)) {
				t.Fatalf("%s version %d after restart: %v, want %q", a.key, a.version, got.Data, a.value)
			}
		}
	}
	status, body := raw(t, c, "LIST", "secret/metadata", nil)
	if status != http.StatusOK || len(kvKeys(body)) != writers {
		t.Fatalf("LIST after restart: %d, %d folders, want %d", status, len(kvKeys(body)), writers)
	}
}
