package cubbyhole

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vaultd/vaultd/logical"
)

// MountType is the engine's type name.
const MountType = "cubbyhole"

// Backend is the cubbyhole engine.
type Backend struct {
	storage logical.Storage
}

var (
	_ logical.Backend      = (*Backend)(nil)
	_ logical.TokenWatcher = (*Backend)(nil)
)

// Factory builds a cubbyhole engine for a mount.
func Factory(_ context.Context, conf *logical.BackendConfig) (logical.Backend, error) {
	if conf == nil {
		return nil, errors.New("cubbyhole: nil backend config")
	}
	return &Backend{storage: conf.Storage}, nil
}

// DestroyPrefix is the storage prefix, within the cubbyhole mount's view,
// that holds every secret of the token with this accessor. Core deletes
// everything under it when the token is revoked (see Destroy).
func DestroyPrefix(accessor string) string {
	sum := sha256.Sum256([]byte(accessor))
	return hex.EncodeToString(sum[:]) + "/"
}

// Destroy deletes every secret of the token with this accessor from the
// cubbyhole mount's storage view s, in one commit.
func Destroy(ctx context.Context, s logical.Storage, accessor string) error {
	if accessor == "" {
		return errors.New("cubbyhole: empty accessor")
	}
	keys, err := listAll(ctx, s, DestroyPrefix(accessor))
	if err != nil {
		return fmt.Errorf("cubbyhole: list token secrets: %w", err)
	}
	if len(keys) == 0 {
		return nil
	}
	ops := make([]logical.StorageOp, 0, len(keys))
	for _, k := range keys {
		ops = append(ops, logical.StorageOp{Delete: true, Key: k})
	}
	if err := s.Commit(ctx, ops); err != nil {
		return fmt.Errorf("cubbyhole: delete token secrets: %w", err)
	}
	return nil
}

// TokenRevoked implements logical.TokenWatcher: a revoked token's
// cubbyhole is destroyed with it.
func (b *Backend) TokenRevoked(ctx context.Context, accessor string) error {
	return Destroy(ctx, b.storage, accessor)
}

// SpecialPaths implements logical.Backend.
func (b *Backend) SpecialPaths() logical.SpecialPaths { return logical.SpecialPaths{} }

// HandleRequest implements logical.Backend.
func (b *Backend) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	prefix, err := tokenPrefix(req)
	if err != nil {
		return nil, err
	}
	s, err := b.storageFor(req)
	if err != nil {
		return nil, err
	}
	if req.Operation == logical.ListOperation {
		return list(ctx, s, prefix, req.Path)
	}
	if err := validatePath(req.Path); err != nil {
		return nil, err
	}
	key := prefix + req.Path
	switch req.Operation {
	case logical.ReadOperation:
		return read(ctx, s, key)
	case logical.CreateOperation, logical.UpdateOperation:
		return nil, write(ctx, s, key, req.Data)
	case logical.DeleteOperation:
		if err := s.Delete(ctx, key); err != nil {
			return nil, fmt.Errorf("cubbyhole delete: %w", err)
		}
		return nil, nil
	}
	return nil, logical.ErrUnsupportedOperation
}

// ExistenceCheck implements logical.Backend: a write is a create unless the
// token already has a secret at the path.
func (b *Backend) ExistenceCheck(ctx context.Context, req *logical.Request) (bool, bool, error) {
	prefix, err := tokenPrefix(req)
	if err != nil || validatePath(req.Path) != nil {
		// HandleRequest refuses the request.
		return false, false, nil
	}
	s, err := b.storageFor(req)
	if err != nil {
		return false, false, err
	}
	entry, err := s.Get(ctx, prefix+req.Path)
	if err != nil {
		return false, false, fmt.Errorf("cubbyhole existence check: %w", err)
	}
	return true, entry != nil, nil
}

// tokenPrefix is the calling token's storage prefix. A request without a
// token (or without its accessor) is refused: there is no cubbyhole to use.
func tokenPrefix(req *logical.Request) (string, error) {
	if req.ClientToken == "" {
		return "", logical.InvalidRequest("client token empty")
	}
	if req.ClientTokenAccessor == "" {
		return "", logical.InvalidRequest("client token accessor empty")
	}
	return DestroyPrefix(req.ClientTokenAccessor), nil
}

func (b *Backend) storageFor(req *logical.Request) (logical.Storage, error) {
	if req.Storage != nil {
		return req.Storage, nil
	}
	if b.storage != nil {
		return b.storage, nil
	}
	return nil, errors.New("cubbyhole: no storage view")
}

// validatePath checks a secret path: non-empty, no empty, "." or ".."
// segment.
func validatePath(p string) error {
	if p == "" {
		return logical.InvalidRequest("missing path")
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return logical.InvalidRequest("invalid path %q: empty path segment", p)
		case ".", "..":
			return logical.InvalidRequest("invalid path %q: %q segments are not allowed", p, seg)
		}
	}
	return nil
}

func read(ctx context.Context, s logical.Storage, key string) (*logical.Response, error) {
	entry, err := s.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("cubbyhole read: %w", err)
	}
	if entry == nil {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(entry.Value))
	dec.UseNumber()
	var data map[string]any
	if err := dec.Decode(&data); err != nil {
		return nil, fmt.Errorf("cubbyhole read: decode: %w", err)
	}
	return &logical.Response{Data: data}, nil
}

func write(ctx context.Context, s logical.Storage, key string, data map[string]any) error {
	if len(data) == 0 {
		return logical.InvalidRequest("missing data fields")
	}
	buf, err := json.Marshal(data)
	if err != nil {
		return logical.InvalidRequest("data cannot be encoded as JSON")
	}
	if err := s.Put(ctx, &logical.StorageEntry{Key: key, Value: buf}); err != nil {
		return fmt.Errorf("cubbyhole write: %w", err)
	}
	return nil
}

// list lists the token's names directly under folder; empty is nil (404).
func list(ctx context.Context, s logical.Storage, prefix, folder string) (*logical.Response, error) {
	folder = strings.TrimSuffix(folder, "/")
	if folder != "" {
		if err := validatePath(folder); err != nil {
			return nil, err
		}
		folder += "/"
	}
	keys, err := s.List(ctx, prefix+folder)
	if err != nil {
		return nil, fmt.Errorf("cubbyhole list: %w", err)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	return &logical.Response{Data: map[string]any{"keys": keys}}, nil
}

// listAll returns every key under prefix, descending into folders.
func listAll(ctx context.Context, s logical.Storage, prefix string) ([]string, error) {
	names, err := s.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, name := range names {
		if !strings.HasSuffix(name, "/") {
			out = append(out, prefix+name)
			continue
		}
		sub, err := listAll(ctx, s, prefix+name)
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	return out, nil
}
