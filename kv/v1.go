package kv

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// V1 is the KV version 1 engine: each secret is one JSON object stored at
// its path, read, written (whole), deleted and listed in place.
type V1 struct {
	base
}

var _ logical.Backend = (*V1)(nil)

// NewV1 builds a KV v1 engine.
func NewV1(_ context.Context, conf *logical.BackendConfig) (*V1, error) {
	if conf == nil {
		return nil, fmt.Errorf("kv v1: nil backend config")
	}
	return &V1{base: newBase(conf)}, nil
}

// HandleRequest implements logical.Backend.
func (b *V1) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	s, err := b.storageFor(req)
	if err != nil {
		return nil, err
	}
	switch req.Operation {
	case logical.ListOperation:
		return listKeys(ctx, s, "", req.Path)
	case logical.ReadOperation:
		return b.read(ctx, s, req.Path)
	case logical.CreateOperation, logical.UpdateOperation:
		return b.write(ctx, s, req)
	case logical.DeleteOperation:
		if err := validateSecretPath(req.Path); err != nil {
			return nil, err
		}
		if err := s.Delete(ctx, req.Path); err != nil {
			return nil, fmt.Errorf("kv v1 delete: %w", err)
		}
		return nil, nil
	}
	return nil, logical.ErrUnsupportedOperation
}

// ExistenceCheck implements logical.Backend: a write is a create unless a
// secret is stored at the path.
func (b *V1) ExistenceCheck(ctx context.Context, req *logical.Request) (bool, bool, error) {
	if validateSecretPath(req.Path) != nil {
		return false, false, nil
	}
	s, err := b.storageFor(req)
	if err != nil {
		return false, false, err
	}
	entry, err := s.Get(ctx, req.Path)
	if err != nil {
		return false, false, fmt.Errorf("kv v1 existence check: %w", err)
	}
	return true, entry != nil, nil
}

func (b *V1) read(ctx context.Context, s logical.Storage, path string) (*logical.Response, error) {
	if err := validateSecretPath(path); err != nil {
		return nil, err
	}
	entry, err := s.Get(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("kv v1 read: %w", err)
	}
	if entry == nil {
		return nil, nil
	}
	data, err := decodeObject(entry.Value)
	if err != nil {
		return nil, err
	}
	// As in Vault, a read carries a non-renewable secret whose TTL is the
	// refresh interval clients (the CLI's refresh_interval, Vault Agent's
	// templates) use: the secret's own "ttl" (or "lease") key when it
	// holds a duration, else the mount's default lease TTL. The core
	// registers no lease for KV mounts.
	return &logical.Response{Data: data, Secret: &logical.Secret{TTL: b.refreshInterval(data)}}, nil
}

// refreshInterval is the TTL reported on a v1 read of data.
func (b *V1) refreshInterval(data map[string]any) time.Duration {
	for _, key := range []string{"ttl", "lease"} {
		raw, ok := data[key]
		if !ok {
			continue
		}
		// A value that is not a duration is only data: Vault ignores it.
		if d, err := logical.ParseDuration(raw); err == nil && d > 0 {
			return d
		}
		break
	}
	if b.system == nil {
		return 0
	}
	return b.system.DefaultLeaseTTL()
}

func (b *V1) write(ctx context.Context, s logical.Storage, req *logical.Request) (*logical.Response, error) {
	if err := validateSecretPath(req.Path); err != nil {
		return nil, err
	}
	if len(req.Data) == 0 {
		return nil, logical.InvalidRequest("missing data fields")
	}
	buf, err := json.Marshal(req.Data)
	if err != nil {
		return nil, logical.InvalidRequest("data cannot be encoded as JSON")
	}
	if err := s.Put(ctx, &logical.StorageEntry{Key: req.Path, Value: buf}); err != nil {
		return nil, fmt.Errorf("kv v1 write: %w", err)
	}
	return nil, nil
}

// listKeys lists the names directly under folder, below the storage prefix
// root. An empty listing is nil, which the server answers with a 404.
func listKeys(ctx context.Context, s logical.Storage, root, folder string) (*logical.Response, error) {
	prefix, err := listPrefix(folder)
	if err != nil {
		return nil, err
	}
	keys, err := s.List(ctx, root+prefix)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	return &logical.Response{Data: map[string]any{"keys": keys}}, nil
}
