package inmem

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/vaultd/vaultd/storage"
)

// Backend is a storage.Backend held in a map guarded by a RWMutex.
// The zero value is not usable; call New.
type Backend struct {
	mu      sync.RWMutex
	entries map[string][]byte
	closed  bool
}

var _ storage.Backend = (*Backend)(nil)

// New returns an empty Backend.
func New() *Backend {
	return &Backend{entries: map[string][]byte{}}
}

func (b *Backend) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inmem: %w", err)
	}
	if b.closed {
		return fmt.Errorf("inmem: %w", storage.ErrClosed)
	}
	return nil
}

// Get implements storage.Backend.
func (b *Backend) Get(ctx context.Context, key string) (*storage.Entry, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if err := b.check(ctx); err != nil {
		return nil, err
	}
	v, ok := b.entries[key]
	if !ok {
		return nil, nil
	}
	return &storage.Entry{Key: key, Value: clone(v)}, nil
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

// List implements storage.Backend.
func (b *Backend) List(ctx context.Context, prefix string) ([]string, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if err := b.check(ctx); err != nil {
		return nil, err
	}
	keys := make([]string, 0, 16)
	for key := range b.entries {
		if strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return storage.ListNames(prefix, keys), nil
}

// Commit implements storage.Backend. Every key is validated before anything
// is applied, so a bad op leaves the store untouched.
func (b *Backend) Commit(ctx context.Context, ops []storage.Op) error {
	for _, op := range ops {
		if err := storage.ValidateKey(op.Key); err != nil {
			return err
		}
	}
	// Copy values before taking the lock: the caller may reuse its buffers.
	values := make([][]byte, len(ops))
	for i, op := range ops {
		if !op.Delete {
			values[i] = clone(op.Value)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.check(ctx); err != nil {
		return err
	}
	for i, op := range ops {
		if op.Delete {
			delete(b.entries, op.Key)
			continue
		}
		b.entries[op.Key] = values[i]
	}
	return nil
}

// Close implements storage.Backend. It drops every entry; later calls
// return storage.ErrClosed.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.entries = nil
	return nil
}

// Len returns the number of entries, for tests that check nothing was written.
func (b *Backend) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.entries)
}

func clone(v []byte) []byte {
	out := make([]byte, len(v))
	copy(out, v)
	return out
}
