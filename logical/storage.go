package logical

import "context"

// StorageEntry is one key and its value.
type StorageEntry struct {
	Key   string
	Value []byte
}

// StorageOp is one write in an atomic commit: a put of Entry, or a delete of
// Key when Delete is set.
type StorageOp struct {
	Delete bool
	Key    string
	Value  []byte
}

// Storage is an engine's view of the encrypted store. Keys are relative to
// the view; the engine cannot see outside it.
type Storage interface {
	// Get returns the entry, or nil and no error when there is none.
	Get(ctx context.Context, key string) (*StorageEntry, error)
	// Put writes the entry.
	Put(ctx context.Context, entry *StorageEntry) error
	// Delete removes the key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns the names directly under prefix, sorted: keys as their
	// last segment, sub-folders as their segment with a trailing "/".
	List(ctx context.Context, prefix string) ([]string, error)
	// Commit applies every op or none of them.
	Commit(ctx context.Context, ops []StorageOp) error
}
