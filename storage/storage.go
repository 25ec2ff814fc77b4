// Package storage defines the physical store under the barrier: one small
// interface with a bbolt implementation on disk (storage/bbolt) and an
// in-memory one for dev mode and tests (storage/inmem).
//
// Values reaching a Backend are already encrypted by the barrier, except the
// few plaintext entries the seal needs (seal configuration, encrypted root
// key, encrypted keyring).
package storage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Errors every Backend returns, wrapped; compare with errors.Is.
var (
	// ErrInvalidKey rejects an empty key (or one the store cannot hold).
	ErrInvalidKey = errors.New("storage: invalid key")
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("storage: backend closed")
)

// Entry is one key and its value.
type Entry struct {
	Key   string
	Value []byte
}

// Op is one write in an atomic commit: a put of Key=Value, or a delete of
// Key when Delete is set.
type Op struct {
	Delete bool
	Key    string
	Value  []byte
}

// Backend is a physical store. Every method is safe for concurrent use, and
// a write that returns nil is durable.
type Backend interface {
	// Get returns the entry, or nil and no error when there is none.
	Get(ctx context.Context, key string) (*Entry, error)
	// Put writes the entry.
	Put(ctx context.Context, entry *Entry) error
	// Delete removes the key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns the names directly under prefix, sorted: keys as their
	// remaining segment, sub-folders as their next segment with a trailing "/".
	List(ctx context.Context, prefix string) ([]string, error)
	// Commit applies every op or none, durably.
	Commit(ctx context.Context, ops []Op) error
	// Close releases the store.
	Close() error
}

// ValidateKey checks a key a Backend is asked to store or read: it must not
// be empty. The error wraps ErrInvalidKey.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	return nil
}

// ListNames reduces the full keys that start with prefix to List's answer:
// the immediate children of prefix, sub-folders with a trailing "/", sorted
// and without duplicates. Keys not under prefix are ignored.
func ListNames(prefix string, keys []string) []string {
	seen := make(map[string]struct{}, len(keys))
	out := make([]string, 0, len(keys))
	for _, key := range keys {
		name, ok := ChildName(prefix, key)
		if !ok {
			continue
		}
		if _, dup := seen[name]; dup {
			continue
		}
		seen[name] = struct{}{}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// ChildName returns the immediate child of prefix that key lies under: its
// remaining segment when key is directly under prefix, or the next segment
// with a trailing "/" when key is deeper. ok is false when key does not start
// with prefix or equals it.
func ChildName(prefix, key string) (name string, ok bool) {
	rest, found := strings.CutPrefix(key, prefix)
	if !found || rest == "" {
		return "", false
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[:i+1], true
	}
	return rest, true
}
