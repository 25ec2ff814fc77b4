package bbolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/vaultd/vaultd/storage"
)

// Defaults used when the matching Options field is zero.
const (
	// DefaultMaxBatchDelay is kept for compatibility; see
	// Options.MaxBatchDelay.
	DefaultMaxBatchDelay = time.Millisecond
	DefaultMaxBatchSize  = 1000
	DefaultLockTimeout   = time.Second
	// DefaultFileName is the file created inside path when Open is given
	// an existing directory (as Vault's "file" storage is configured).
	DefaultFileName = "vaultd.db"
)

// fileMode is the mode of the database file: owner read/write only.
const fileMode os.FileMode = 0o600

var bucketName = []byte("vaultd")

// Options tune Open. The zero value (or nil) gives the defaults.
type Options struct {
	// MaxBatchDelay is ignored. Writes are group-committed: they queue
	// behind the commit in progress and the next commit takes all of them
	// at once, so no write waits on a timer.
	//
	// Deprecated: has no effect.
	MaxBatchDelay time.Duration
	// MaxBatchSize is the most writes one transaction takes; the rest wait
	// for the next.
	MaxBatchSize int
	// LockTimeout bounds the wait for the file lock held by another
	// process; Open fails after it rather than hanging.
	LockTimeout time.Duration
}

// Backend is a storage.Backend over one bbolt file.
//
// Writes are group-committed by one committer goroutine: a write queues
// its ops and waits; the committer takes every write queued (up to
// MaxBatchSize) into one transaction, commits it (bbolt fsyncs the file)
// and only then answers each of them. While a commit runs, the writes that
// arrive queue up for the next one, so under load a transaction carries
// as many writes as arrived during one fsync, and a lone write commits at
// once.
type Backend struct {
	db       *bolt.DB
	maxBatch int
	commits  atomic.Uint64 // write transactions committed
	// listSteps counts the keys List's cursors landed on.
	listSteps atomic.Uint64

	queue chan *writeCall
	// closeMu orders queueing against Close: writers hold it shared while
	// they queue, Close exclusively while it closes the queue.
	closeMu sync.RWMutex
	closed  bool
	// stopped is closed when the committer has answered every queued
	// write and exited.
	stopped chan struct{}
}

// writeCall is one Commit waiting for the committer.
type writeCall struct {
	ops  []storage.Op
	done chan error
}

var _ storage.Backend = (*Backend)(nil)

// Open opens or creates the database at path. When path names an existing
// directory, the file DefaultFileName inside it is used. Missing parent
// directories are created with mode 0700. opts may be nil.
func Open(path string, opts *Options) (*Backend, error) {
	o := withDefaults(opts)
	file, err := resolvePath(path)
	if err != nil {
		return nil, err
	}
	db, err := bolt.Open(file, fileMode, &bolt.Options{Timeout: o.LockTimeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("bbolt: open %s: file is locked by another process: %w", file, err)
		}
		return nil, fmt.Errorf("bbolt: open %s: %w", file, err)
	}
	if err := restrictMode(file); err != nil {
		_ = db.Close()
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketName)
		return err
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bbolt: create bucket in %s: %w", file, err)
	}
	b := &Backend{
		db: db, maxBatch: o.MaxBatchSize,
		queue: make(chan *writeCall, o.MaxBatchSize), stopped: make(chan struct{}),
	}
	go b.commitLoop()
	return b, nil
}

func withDefaults(opts *Options) Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxBatchDelay <= 0 {
		o.MaxBatchDelay = DefaultMaxBatchDelay
	}
	if o.MaxBatchSize <= 0 {
		o.MaxBatchSize = DefaultMaxBatchSize
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	return o
}

func resolvePath(path string) (string, error) {
	if path == "" {
		return "", errors.New("bbolt: no path given")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return filepath.Join(path, DefaultFileName), nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("bbolt: create directory for %s: %w", path, err)
	}
	return path, nil
}

// restrictMode makes sure a file that existed before (possibly with a wider
// mode) is readable by its owner only.
func restrictMode(file string) error {
	fi, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("bbolt: stat %s: %w", file, err)
	}
	if fi.Mode().Perm() != fileMode {
		if err := os.Chmod(file, fileMode); err != nil {
			return fmt.Errorf("bbolt: restrict mode of %s to %v: %w", file, fileMode, err)
		}
	}
	return nil
}

// Path returns the database file in use.
func (b *Backend) Path() string { return b.db.Path() }

// Commits returns how many write transactions (and so fsyncs) have been
// committed since Open: with concurrent writers it is less than the number
// of writes.
func (b *Backend) Commits() uint64 { return b.commits.Load() }

// Get implements storage.Backend.
func (b *Backend) Get(ctx context.Context, key string) (*storage.Entry, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bbolt: get: %w", err)
	}
	var entry *storage.Entry
	err := b.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketName).Get([]byte(key))
		if v != nil {
			// v is only valid inside the transaction.
			entry = &storage.Entry{Key: key, Value: bytes.Clone(v)}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("get", err)
	}
	return entry, nil
}

// Put implements storage.Backend.
func (b *Backend) Put(ctx context.Context, entry *storage.Entry) error {
	if entry == nil {
		return fmt.Errorf("%w: nil entry", storage.ErrInvalidKey)
	}
	return b.Commit(ctx, []storage.Op{{Key: entry.Key, Value: entry.Value}})
}

// Delete implements storage.Backend.
func (b *Backend) Delete(ctx context.Context, key string) error {
	return b.Commit(ctx, []storage.Op{{Delete: true, Key: key}})
}

// List implements storage.Backend. A cursor walks the keys under prefix in
// order and jumps over each sub-folder once it has named it, so the work
// is proportional to the names returned, not to the store.
//
// The names come out sorted with no further sort: cutting a key after its
// first "/" keeps byte order (two keys that differ before that slash
// differ the same way once cut; keys that share it cut to the same
// folder name, and those are adjacent). So "a-b" < "a/" < "a0" as cut,
// just as "a-b" < "a/x" < "a0" as stored.
//
// Every name is a substring of one string holding them all, so a listing
// costs a handful of allocations however many names it returns (and a
// name kept after the listing keeps that string alive).
func (b *Backend) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bbolt: list: %w", err)
	}
	var (
		all   strings.Builder
		ends  []int // ends[i] is where name i ends in all
		next  []byte
		steps uint64
	)
	err := b.db.View(func(tx *bolt.Tx) error {
		p := []byte(prefix)
		c := tx.Bucket(bucketName).Cursor()
		k, _ := c.Seek(p)
		for k != nil {
			steps++
			if !bytes.HasPrefix(k, p) {
				break
			}
			rest := k[len(p):]
			i := bytes.IndexByte(rest, '/')
			switch {
			case len(rest) == 0:
				k, _ = c.Next()
			case i < 0:
				ends = appendName(&all, ends, rest)
				k, _ = c.Next()
			default:
				ends = appendName(&all, ends, rest[:i+1])
				// '/'+1 sorts right after every key of the folder.
				next = append(append(append(next[:0], p...), rest[:i]...), '/'+1)
				k, _ = c.Seek(next)
			}
		}
		return nil
	})
	b.listSteps.Add(steps)
	if err != nil {
		return nil, wrap("list", err)
	}
	names, start := all.String(), 0
	out := make([]string, len(ends))
	for i, end := range ends {
		out[i] = names[start:end]
		start = end
	}
	return out, nil
}

// appendName adds name to all and its end to ends, doubling either when
// full (append alone grows large slices by a quarter at a time, which for
// a long listing allocates several times the final size).
func appendName(all *strings.Builder, ends []int, name []byte) []int {
	if all.Cap()-all.Len() < len(name) {
		all.Grow(max(len(name), 256)) // Grow at least doubles the buffer
	}
	all.Write(name)
	if len(ends) == cap(ends) {
		ends = slices.Grow(ends, max(len(ends), 32))
	}
	return append(ends, all.Len())
}

// ListSteps returns how many keys List's cursors have landed on since
// Open: the work listings did. Listing a folder lands on one key per name
// it returns and on the first key past the folder, whatever else the
// store holds.
func (b *Backend) ListSteps() uint64 { return b.listSteps.Load() }

// Commit implements storage.Backend: every op lands in one bbolt
// transaction, and nothing is written if any op is invalid.
func (b *Backend) Commit(ctx context.Context, ops []storage.Op) error {
	for _, op := range ops {
		if err := checkKey(op.Key); err != nil {
			return err
		}
		if !op.Delete && len(op.Value) > bolt.MaxValueSize {
			return fmt.Errorf("bbolt: value of %d bytes exceeds the limit of %d", len(op.Value), bolt.MaxValueSize)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bbolt: commit: %w", err)
	}
	if len(ops) == 0 {
		return nil
	}
	return wrap("commit", b.write(ops))
}

// write applies ops durably: it returns once the transaction holding
// them is committed (and fsynced), or failed.
func (b *Backend) write(ops []storage.Op) error {
	c := &writeCall{ops: ops, done: make(chan error, 1)}
	b.closeMu.RLock()
	if b.closed {
		b.closeMu.RUnlock()
		return berrors.ErrDatabaseNotOpen
	}
	b.queue <- c
	b.closeMu.RUnlock()
	return <-c.done
}

// commitLoop is the committer: it runs until Close closes the queue,
// having answered every write queued before.
func (b *Backend) commitLoop() {
	defer close(b.stopped)
	batch := make([]*writeCall, 0, b.maxBatch)
	for c := range b.queue {
		batch = append(batch[:0], c)
	drain:
		for len(batch) < b.maxBatch {
			select {
			case c, ok := <-b.queue:
				if !ok {
					break drain
				}
				batch = append(batch, c)
			default:
				break drain
			}
		}
		b.commitBatch(batch)
		clear(batch)
	}
}

// commitBatch commits the ops of every call in one transaction. If that
// fails, each call is retried in a transaction of its own, so that one
// bad write cannot fail the others.
func (b *Backend) commitBatch(batch []*writeCall) {
	err := b.update(batch)
	if err == nil || len(batch) == 1 {
		for _, c := range batch {
			c.done <- err
		}
		return
	}
	for _, c := range batch {
		c.done <- b.update([]*writeCall{c})
	}
}

// update runs one write transaction applying the calls' ops in order.
func (b *Backend) update(calls []*writeCall) error {
	err := b.db.Update(func(tx *bolt.Tx) error {
		bkt := tx.Bucket(bucketName)
		for _, c := range calls {
			for _, op := range c.ops {
				var err error
				if op.Delete {
					err = bkt.Delete([]byte(op.Key))
				} else {
					err = bkt.Put([]byte(op.Key), op.Value)
				}
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		b.commits.Add(1)
	}
	return err
}

// Close implements storage.Backend. Writes queued before it are committed
// and answered first; later writes fail. It waits for open transactions.
func (b *Backend) Close() error {
	b.closeMu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.closeMu.Unlock()
	<-b.stopped
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("bbolt: close: %w", err)
	}
	return nil
}

func checkKey(key string) error {
	if err := storage.ValidateKey(key); err != nil {
		return err
	}
	if len(key) > bolt.MaxKeySize {
		return fmt.Errorf("%w: key of %d bytes exceeds the limit of %d", storage.ErrInvalidKey, len(key), bolt.MaxKeySize)
	}
	return nil
}

func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return fmt.Errorf("bbolt: %s: %w", op, storage.ErrClosed)
	default:
		return fmt.Errorf("bbolt: %s: %w", op, err)
	}
}
