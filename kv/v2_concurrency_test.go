package kv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// countingStorage counts writes and can fail commits.
type countingStorage struct {
	logical.Storage
	commits, puts, deletes atomic.Int64
	failCommit             atomic.Bool
}

var errInjected = errors.New("injected commit failure")

func (c *countingStorage) Put(ctx context.Context, e *logical.StorageEntry) error {
	c.puts.Add(1)
	return c.Storage.Put(ctx, e)
}

func (c *countingStorage) Delete(ctx context.Context, k string) error {
	c.deletes.Add(1)
	return c.Storage.Delete(ctx, k)
}

func (c *countingStorage) Commit(ctx context.Context, ops []logical.StorageOp) error {
	c.commits.Add(1)
	if c.failCommit.Load() {
		return errInjected
	}
	return c.Storage.Commit(ctx, ops)
}

// TestV2OneCommitPerWrite checks that every mutating endpoint writes
// through exactly one atomic commit, and that a failed commit leaves the
// secret exactly as it was.
func TestV2OneCommitPerWrite(t *testing.T) {
	e := newV2(t)
	e.write("config", `{"max_versions":2}`)
	cs := &countingStorage{Storage: e.s}
	send := func(op logical.Operation, path, b string) (*logical.Response, error) {
		req := &logical.Request{Operation: op, Path: path, Data: body(t, b), Storage: cs}
		if op == logical.PatchOperation {
			req.ContentType = "application/merge-patch+json"
		}
		return e.b.HandleRequest(context.Background(), req)
	}
	steps := []struct {
		op   logical.Operation
		path string
		body string
	}{
		{logical.CreateOperation, "data/k", `{"data":{"v":1}}`},
		{logical.UpdateOperation, "data/k", `{"data":{"v":2}}`},
		{logical.UpdateOperation, "data/k", `{"data":{"v":3}}`}, // prunes version 1
		{logical.PatchOperation, "data/k", `{"data":{"w":1}}`},  // prunes version 2
		{logical.UpdateOperation, "metadata/k", `{"custom_metadata":{"a":"b"}}`},
		{logical.PatchOperation, "metadata/k", `{"max_versions":5}`},
		{logical.DeleteOperation, "data/k", ``},
		{logical.UpdateOperation, "undelete/k", `{"versions":[4]}`},
		{logical.UpdateOperation, "delete/k", `{"versions":[3,4]}`},
		{logical.UpdateOperation, "destroy/k", `{"versions":[3]}`},
		{logical.DeleteOperation, "metadata/k", ``},
		{logical.UpdateOperation, "config", `{"cas_required":false}`},
	}
	for _, st := range steps {
		// First with a failing commit: an error, and storage untouched.
		before := e.snapshot()
		cs.failCommit.Store(true)
		if _, err := send(st.op, st.path, st.body); !errors.Is(err, errInjected) {
			t.Fatalf("%s %s with failing commit: %v", st.op, st.path, err)
		}
		e.requireUnchanged(before)
		cs.failCommit.Store(false)

		cs.commits.Store(0)
		if _, err := send(st.op, st.path, st.body); err != nil {
			t.Fatalf("%s %s: %v", st.op, st.path, err)
		}
		if n := cs.commits.Load(); n != 1 {
			t.Errorf("%s %s: %d commits, want 1", st.op, st.path, n)
		}
	}
	if cs.puts.Load() != 0 || cs.deletes.Load() != 0 {
		t.Errorf("non-atomic writes: %d puts, %d deletes", cs.puts.Load(), cs.deletes.Load())
	}
}

// TestV2ConcurrentCAS has 64 writers race on one key with check-and-set.
// Each version number must be won by exactly one writer, with no gaps, and
// every acknowledged write must read back at its version.
func TestV2ConcurrentCAS(t *testing.T) {
	const writers = 64
	e := newV2(t)
	e.write("config", `{"max_versions":100}`)

	won := make([]uint64, writers)
	var retries atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			<-start
			for {
				cur := uint64(0)
				if resp, err := e.do(logical.ReadOperation, "metadata/race", nil); err != nil {
					t.Error(err)
					return
				} else if resp != nil {
					cur = resp.Data["current_version"].(uint64)
				}
				data := map[string]any{
					"data":    map[string]any{"writer": strconv.Itoa(w)},
					"options": map[string]any{"cas": json.Number(strconv.FormatUint(cur, 10))},
				}
				resp, err := e.do(logical.UpdateOperation, "data/race", data)
				if err != nil {
					if err.Error() == "check-and-set parameter did not match the current version" {
						retries.Add(1)
						continue
					}
					t.Error(err)
					return
				}
				won[w] = resp.Data["version"].(uint64)
				return
			}
		})
	}
	close(start)
	wg.Wait()

	owner := map[uint64]int{}
	for w, v := range won {
		if prev, dup := owner[v]; dup {
			t.Fatalf("version %d won by writers %d and %d", v, prev, w)
		}
		owner[v] = w
	}
	for v := uint64(1); v <= writers; v++ {
		w, ok := owner[v]
		if !ok {
			t.Fatalf("version %d won by nobody (gap)", v)
		}
		resp := e.must(logical.ReadOperation, "data/race", map[string]any{"version": strconv.FormatUint(v, 10)})
		if got := resp.Data["data"].(map[string]any)["writer"]; got != strconv.Itoa(w) {
			t.Fatalf("version %d holds writer %v, acknowledged to %d", v, got, w)
		}
	}
	md := e.must(logical.ReadOperation, "metadata/race", nil)
	if md.Data["current_version"] != uint64(writers) {
		t.Fatalf("current_version %v", md.Data["current_version"])
	}
	t.Logf("%d CAS retries", retries.Load())
}

// TestV2ConcurrentKeys has 64 writers on distinct keys, each writing
// several versions, and checks every write is readable.
func TestV2ConcurrentKeys(t *testing.T) {
	const writers, perWriter = 64, 5
	e := newV2(t)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			path := fmt.Sprintf("data/app-%d/secret", w)
			for i := range perWriter {
				d := map[string]any{"data": map[string]any{"i": strconv.Itoa(i)}}
				if _, err := e.do(logical.UpdateOperation, path, d); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for w := range writers {
		path := fmt.Sprintf("data/app-%d/secret", w)
		for i := range perWriter {
			resp := e.must(logical.ReadOperation, path, map[string]any{"version": strconv.Itoa(i + 1)})
			if got := resp.Data["data"].(map[string]any)["i"]; got != strconv.Itoa(i) {
				t.Fatalf("%s v%d = %v", path, i+1, got)
			}
		}
	}
	list := e.must(logical.ListOperation, "metadata/", nil)
	if n := len(list.Data["keys"].([]string)); n != writers {
		t.Fatalf("listed %d keys", n)
	}
}
