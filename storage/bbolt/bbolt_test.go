package bbolt_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/bbolt"
	"github.com/vaultd/vaultd/storage/storagetest"
)

func open(t *testing.T, path string, opts *bbolt.Options) *bbolt.Backend {
	t.Helper()
	b, err := bbolt.Open(path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return b
}

func TestConformance(t *testing.T) {
	b := open(t, filepath.Join(t.TempDir(), "v.db"), nil)
	storagetest.Run(t, b)
	storagetest.CheckClosed(t, b)
}

func TestFileMode(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name     string
		existing os.FileMode // 0: the file does not exist before Open
	}{
		{"created", 0},
		{"existing world-readable", 0o644},
		{"existing group-writable", 0o660},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("f%d.db", i))
			if tc.existing != 0 {
				// Create a valid database, then widen its mode.
				b := open(t, path, nil)
				if err := b.Close(); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.existing); err != nil {
					t.Fatal(err)
				}
			}
			b := open(t, path, nil)
			defer b.Close()
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Fatalf("mode = %v, want 0600", got)
			}
		})
	}
}

func TestDirectoryPath(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir, nil)
	defer b.Close()
	if want := filepath.Join(dir, bbolt.DefaultFileName); b.Path() != want {
		t.Fatalf("Path() = %q, want %q", b.Path(), want)
	}
	nested := filepath.Join(dir, "a", "b", "v.db")
	b2 := open(t, nested, nil)
	defer b2.Close()
	fi, err := os.Stat(filepath.Dir(nested))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("created directory mode = %v, want 0700", fi.Mode().Perm())
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := bbolt.Open("", nil); err == nil {
		t.Fatal("Open with an empty path succeeded")
	}
	notDB := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(notDB, []byte("this is not a bbolt file at all, not even close......"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := bbolt.Open(notDB, nil); err == nil {
		t.Fatal("Open of a non-database file succeeded")
	}
}

func TestLockedByAnotherOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	b := open(t, path, nil)
	defer b.Close()
	start := time.Now()
	_, err := bbolt.Open(path, &bbolt.Options{LockTimeout: 50 * time.Millisecond})
	if err == nil {
		t.Fatal("a second Open of a locked file succeeded")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("Open waited %v for the lock", time.Since(start))
	}
}

func TestDurableAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	b := open(t, path, nil)
	ops := []storage.Op{
		{Key: "a/1", Value: []byte("one")},
		{Key: "a/2", Value: []byte("two")},
		{Key: "b", Value: []byte("bee")},
	}
	if err := b.Commit(ctx, ops); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "a/2"); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = open(t, path, nil)
	defer b.Close()
	for key, want := range map[string]string{"a/1": "one", "b": "bee"} {
		e, err := b.Get(ctx, key)
		if err != nil || e == nil || string(e.Value) != want {
			t.Fatalf("Get(%q) after reopen = %v, %v; want %q", key, e, err, want)
		}
	}
	if e, err := b.Get(ctx, "a/2"); err != nil || e != nil {
		t.Fatalf("deleted key after reopen = %v, %v", e, err)
	}
}

// A multi-op Commit is one transaction: one commit, one fsync.
func TestCommitIsOneTransaction(t *testing.T) {
	b := open(t, filepath.Join(t.TempDir(), "v.db"), nil)
	defer b.Close()
	before := b.Commits()
	ops := make([]storage.Op, 50)
	for i := range ops {
		ops[i] = storage.Op{Key: fmt.Sprintf("k%d", i), Value: []byte("v")}
	}
	if err := b.Commit(context.Background(), ops); err != nil {
		t.Fatal(err)
	}
	if got := b.Commits() - before; got != 1 {
		t.Fatalf("a 50-op Commit took %d transactions, want 1", got)
	}
}

// Concurrent writers share transactions: 64 writers released together must
// cost far fewer than 64 commits.
func TestConcurrentWritesCoalesce(t *testing.T) {
	const writers = 64
	b := open(t, filepath.Join(t.TempDir(), "v.db"), &bbolt.Options{MaxBatchDelay: 20 * time.Millisecond})
	defer b.Close()
	ctx := context.Background()
	before := b.Commits()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs <- b.Put(ctx, &storage.Entry{Key: fmt.Sprintf("w/%d", w), Value: []byte("v")})
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	commits := b.Commits() - before
	t.Logf("%d writes in %d commits", writers, commits)
	if commits > writers/4 {
		t.Fatalf("%d concurrent writes took %d commits; batching is not working", writers, commits)
	}
	names, err := b.List(ctx, "w/")
	if err != nil || len(names) != writers {
		t.Fatalf("List = %d names, %v", len(names), err)
	}
}

func TestOversizedKey(t *testing.T) {
	b := open(t, filepath.Join(t.TempDir(), "v.db"), nil)
	defer b.Close()
	long := string(make([]byte, 40000))
	err := b.Put(context.Background(), &storage.Entry{Key: long, Value: []byte("v")})
	if !errors.Is(err, storage.ErrInvalidKey) {
		t.Fatalf("Put with a 40000-byte key: %v", err)
	}
}

// Close answers every write queued before it (each one durable after a
// reopen) and refuses writes after it with storage.ErrClosed.
func TestCloseAnswersQueuedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	b := open(t, path, nil)
	ctx := context.Background()
	const writers = 32
	var wg sync.WaitGroup
	acked := make(chan string, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("c/%d", w)
			err := b.Put(ctx, &storage.Entry{Key: key, Value: []byte("v")})
			switch {
			case err == nil:
				acked <- key
			case !errors.Is(err, storage.ErrClosed):
				t.Errorf("put %s: %v", key, err)
			}
		}()
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(acked)
	if err := b.Put(ctx, &storage.Entry{Key: "late", Value: []byte("v")}); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("put after close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	b2 := open(t, path, nil)
	defer b2.Close()
	for key := range acked {
		if e, err := b2.Get(ctx, key); err != nil || e == nil {
			t.Fatalf("acknowledged %s lost after reopen: %v %v", key, e, err)
		}
	}
}
