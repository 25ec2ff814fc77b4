package barrier

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
)

// Store is the logical store a View sits on: *Barrier, or any store with
// the same methods (a storage.Backend qualifies too, for tests).
type Store interface {
	Get(ctx context.Context, key string) (*storage.Entry, error)
	Put(ctx context.Context, entry *storage.Entry) error
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix string) ([]string, error)
	Commit(ctx context.Context, ops []storage.Op) error
}

var _ Store = (*Barrier)(nil)

// View is a logical.Storage confined to one prefix of a Store: the engine
// it is handed to sees keys relative to the prefix and nothing outside it.
// Core gives each mount a view such as "logical/<mount-uuid>/".
type View struct {
	store  Store
	prefix string
}

var _ logical.Storage = (*View)(nil)

// NewView returns the view of store under prefix. The prefix should end in
// "/" so that views of sibling prefixes cannot overlap.
func NewView(store Store, prefix string) *View {
	return &View{store: store, prefix: prefix}
}

// Prefix returns the view's prefix in the underlying store.
func (v *View) Prefix() string { return v.prefix }

// SubView returns the view of this view under prefix.
func (v *View) SubView(prefix string) *View {
	return &View{store: v.store, prefix: v.prefix + prefix}
}

func (v *View) expand(key string) (string, error) {
	if key == "" {
		return "", fmt.Errorf("barrier view: %w: empty key", storage.ErrInvalidKey)
	}
	return v.prefix + key, nil
}

// Get implements logical.Storage.
func (v *View) Get(ctx context.Context, key string) (*logical.StorageEntry, error) {
	full, err := v.expand(key)
	if err != nil {
		return nil, err
	}
	e, err := v.store.Get(ctx, full)
	if err != nil || e == nil {
		return nil, viewErr(err)
	}
	return &logical.StorageEntry{Key: key, Value: e.Value}, nil
}

// Put implements logical.Storage.
func (v *View) Put(ctx context.Context, entry *logical.StorageEntry) error {
	if entry == nil {
		return fmt.Errorf("barrier view: %w: nil entry", storage.ErrInvalidKey)
	}
	full, err := v.expand(entry.Key)
	if err != nil {
		return err
	}
	return viewErr(v.store.Put(ctx, &storage.Entry{Key: full, Value: entry.Value}))
}

// Delete implements logical.Storage.
func (v *View) Delete(ctx context.Context, key string) error {
	full, err := v.expand(key)
	if err != nil {
		return err
	}
	return viewErr(v.store.Delete(ctx, full))
}

// List implements logical.Storage; prefix is relative to the view.
func (v *View) List(ctx context.Context, prefix string) ([]string, error) {
	names, err := v.store.List(ctx, v.prefix+prefix)
	return names, viewErr(err)
}

// Commit implements logical.Storage.
func (v *View) Commit(ctx context.Context, ops []logical.StorageOp) error {
	phys := make([]storage.Op, len(ops))
	for i, op := range ops {
		full, err := v.expand(op.Key)
		if err != nil {
			return err
		}
		phys[i] = storage.Op{Delete: op.Delete, Key: full, Value: op.Value}
	}
	return viewErr(v.store.Commit(ctx, phys))
}

// clearBatch is how many deletes Clear commits at a time.
const clearBatch = 256

// Clear deletes every key under the view (when a mount is disabled).
func (v *View) Clear(ctx context.Context) error {
	keys, err := v.collect(ctx, "")
	if err != nil {
		return err
	}
	for start := 0; start < len(keys); start += clearBatch {
		end := min(start+clearBatch, len(keys))
		ops := make([]logical.StorageOp, 0, end-start)
		for _, k := range keys[start:end] {
			ops = append(ops, logical.StorageOp{Delete: true, Key: k})
		}
		if err := v.Commit(ctx, ops); err != nil {
			return err
		}
	}
	return nil
}

// collect returns every key under prefix, recursively, relative to the view.
func (v *View) collect(ctx context.Context, prefix string) ([]string, error) {
	names, err := v.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, n := range names {
		if strings.HasSuffix(n, "/") {
			// A key may itself end in "/"; deleting it if absent is harmless.
			keys = append(keys, prefix+n)
			sub, err := v.collect(ctx, prefix+n)
			if err != nil {
				return nil, err
			}
			keys = append(keys, sub...)
			continue
		}
		keys = append(keys, prefix+n)
	}
	return keys, nil
}

// viewErr makes a sealed barrier surface to engines (and so to clients) as
// logical.ErrSealed, a 503 "Vault is sealed", while still matching ErrSealed.
func viewErr(err error) error {
	if err != nil && errors.Is(err, ErrSealed) {
		return sealedError{}
	}
	return err
}

// sealedError reads "Vault is sealed", carries logical.ErrSealed's 503 and
// matches both logical.ErrSealed and ErrSealed.
type sealedError struct{}

func (sealedError) Error() string        { return logical.ErrSealed.Error() }
func (sealedError) Unwrap() error        { return logical.ErrSealed }
func (sealedError) Is(target error) bool { return target == ErrSealed }
