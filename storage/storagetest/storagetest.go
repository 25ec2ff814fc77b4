package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/vaultd/vaultd/storage"
)

// Run exercises b against the contract documented on storage.Backend.
// b must be empty; Run leaves it open (and not empty).
func Run(t *testing.T, b storage.Backend) {
	t.Helper()
	t.Run("GetMissing", func(t *testing.T) { testGetMissing(t, b) })
	t.Run("PutGet", func(t *testing.T) { testPutGet(t, b) })
	t.Run("NoAliasing", func(t *testing.T) { testNoAliasing(t, b) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, b) })
	t.Run("InvalidKey", func(t *testing.T) { testInvalidKey(t, b) })
	t.Run("List", func(t *testing.T) { testList(t, b) })
	t.Run("Commit", func(t *testing.T) { testCommit(t, b) })
	t.Run("CommitAtomic", func(t *testing.T) { testCommitAtomic(t, b) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, b) })
	t.Run("Cancelled", func(t *testing.T) { testCancelled(t, b) })
}

// CheckClosed closes b and checks that every method then fails with
// storage.ErrClosed.
func CheckClosed(t *testing.T, b storage.Backend) {
	t.Helper()
	ctx := context.Background()
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	checks := map[string]error{
		"Get":    errOf(b.Get(ctx, "k")),
		"Put":    b.Put(ctx, &storage.Entry{Key: "k", Value: []byte("v")}),
		"Delete": b.Delete(ctx, "k"),
		"List":   errOf(b.List(ctx, "")),
		"Commit": b.Commit(ctx, []storage.Op{{Key: "k", Value: []byte("v")}}),
	}
	for name, err := range checks {
		if !errors.Is(err, storage.ErrClosed) {
			t.Errorf("%s after Close: got %v, want ErrClosed", name, err)
		}
	}
}

func errOf[T any](_ T, err error) error { return err }

func mustPut(t *testing.T, b storage.Backend, key string, value []byte) {
	t.Helper()
	if err := b.Put(context.Background(), &storage.Entry{Key: key, Value: value}); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, b storage.Backend, key string) *storage.Entry {
	t.Helper()
	e, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return e
}

func wantValue(t *testing.T, b storage.Backend, key string, want []byte) {
	t.Helper()
	e := mustGet(t, b, key)
	switch {
	case want == nil && e != nil:
		t.Fatalf("Get(%q) = %q, want no entry", key, e.Value)
	case want == nil:
	case e == nil:
		t.Fatalf("Get(%q) = no entry, want %q", key, want)
	case e.Key != key:
		t.Fatalf("Get(%q).Key = %q", key, e.Key)
	case !bytes.Equal(e.Value, want):
		t.Fatalf("Get(%q) = %q, want %q", key, e.Value, want)
	}
}

func testGetMissing(t *testing.T, b storage.Backend) {
	wantValue(t, b, "missing/key", nil)
}

func testPutGet(t *testing.T, b storage.Backend) {
	cases := []struct {
		name, key string
		value     []byte
	}{
		{"plain", "pg/plain", []byte("hello")},
		{"empty value", "pg/empty", []byte{}},
		{"binary", "pg/binary", []byte{0, 1, 2, 0xff, 0, '/'}},
		{"deep key", "pg/a/b/c/d", []byte("deep")},
		{"large value", "pg/large", bytes.Repeat([]byte("x"), 1<<20)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustPut(t, b, tc.key, tc.value)
			wantValue(t, b, tc.key, tc.value)
		})
	}
	mustPut(t, b, "pg/plain", []byte("overwritten"))
	wantValue(t, b, "pg/plain", []byte("overwritten"))
}

func testNoAliasing(t *testing.T, b storage.Backend) {
	in := []byte("original")
	mustPut(t, b, "alias/k", in)
	in[0] = 'X'
	wantValue(t, b, "alias/k", []byte("original"))
	out := mustGet(t, b, "alias/k")
	out.Value[0] = 'Y'
	wantValue(t, b, "alias/k", []byte("original"))
}

func testDelete(t *testing.T, b storage.Backend) {
	ctx := context.Background()
	mustPut(t, b, "del/k", []byte("v"))
	mustPut(t, b, "del/keep", []byte("v"))
	if err := b.Delete(ctx, "del/k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantValue(t, b, "del/k", nil)
	wantValue(t, b, "del/keep", []byte("v"))
	if err := b.Delete(ctx, "del/k"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
}

func testInvalidKey(t *testing.T, b storage.Backend) {
	ctx := context.Background()
	checks := map[string]error{
		"Get":    errOf(b.Get(ctx, "")),
		"Put":    b.Put(ctx, &storage.Entry{Key: "", Value: []byte("v")}),
		"PutNil": b.Put(ctx, nil),
		"Delete": b.Delete(ctx, ""),
		"Commit": b.Commit(ctx, []storage.Op{{Key: "", Value: []byte("v")}}),
	}
	for name, err := range checks {
		if !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("%s with an empty key: got %v, want ErrInvalidKey", name, err)
		}
	}
	names, err := b.List(ctx, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if slices.Contains(names, "") {
		t.Errorf("an empty key was stored: %q", names)
	}
}

func testList(t *testing.T, b storage.Backend) {
	ctx := context.Background()
	for _, k := range []string{
		"ls/a", "ls/b", "ls/c/d", "ls/c/e/f", "ls/cc", "ls/c", "ls/z/",
		"ls2/x", "lsx",
	} {
		mustPut(t, b, k, []byte(k))
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"ls/", []string{"a", "b", "c", "c/", "cc", "z/"}},
		{"ls/c/", []string{"d", "e/"}},
		{"ls/c/e/", []string{"f"}},
		{"ls/z/", []string{}},
		{"ls/c", []string{"/", "c"}}, // the key equal to the prefix is not its own child
		{"ls", []string{"/", "2/", "x"}},
		{"nothing/", []string{}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q", tc.prefix), func(t *testing.T) {
			got, err := b.List(ctx, tc.prefix)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
			}
		})
	}
}

func testCommit(t *testing.T, b storage.Backend) {
	ctx := context.Background()
	mustPut(t, b, "commit/old", []byte("old"))
	ops := []storage.Op{
		{Key: "commit/a", Value: []byte("1")},
		{Key: "commit/b", Value: []byte("2")},
		{Delete: true, Key: "commit/old"},
		{Delete: true, Key: "commit/never-existed"},
		{Key: "commit/a", Value: []byte("3")}, // later ops win
	}
	if err := b.Commit(ctx, ops); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	wantValue(t, b, "commit/a", []byte("3"))
	wantValue(t, b, "commit/b", []byte("2"))
	wantValue(t, b, "commit/old", nil)
	if err := b.Commit(ctx, nil); err != nil {
		t.Fatalf("empty Commit: %v", err)
	}
}

func testCommitAtomic(t *testing.T, b storage.Backend) {
	ctx := context.Background()
	mustPut(t, b, "atomic/keep", []byte("kept"))
	ops := []storage.Op{
		{Key: "atomic/new", Value: []byte("v")},
		{Delete: true, Key: "atomic/keep"},
		{Key: "", Value: []byte("bad")},
	}
	if err := b.Commit(ctx, ops); !errors.Is(err, storage.ErrInvalidKey) {
		t.Fatalf("Commit with a bad op: got %v, want ErrInvalidKey", err)
	}
	wantValue(t, b, "atomic/new", nil)
	wantValue(t, b, "atomic/keep", []byte("kept"))
}

func testConcurrent(t *testing.T, b storage.Backend) {
	ctx := context.Background()
	const writers, each = 16, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				key := fmt.Sprintf("conc/%02d/%02d", w, i)
				if err := b.Put(ctx, &storage.Entry{Key: key, Value: []byte(key)}); err != nil {
					errs <- err
					return
				}
				e, err := b.Get(ctx, key)
				if err != nil || e == nil || string(e.Value) != key {
					errs <- fmt.Errorf("read back %s: %v %v", key, e, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	names, err := b.List(ctx, "conc/")
	if err != nil || len(names) != writers {
		t.Fatalf("List(conc/) = %d names, %v; want %d", len(names), err, writers)
	}
}

func testCancelled(t *testing.T, b storage.Backend) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	checks := map[string]error{
		"Get":    errOf(b.Get(ctx, "cancel/k")),
		"Put":    b.Put(ctx, &storage.Entry{Key: "cancel/k", Value: []byte("v")}),
		"Delete": b.Delete(ctx, "cancel/k"),
		"List":   errOf(b.List(ctx, "")),
		"Commit": b.Commit(ctx, []storage.Op{{Key: "cancel/k", Value: []byte("v")}}),
	}
	for name, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: got %v", name, err)
		}
	}
	wantValue(t, b, "cancel/k", nil)
}
