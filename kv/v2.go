package kv

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/vaultd/vaultd/logical"
)

// V2 is the KV version 2 engine: versioned secrets with metadata,
// check-and-set, soft delete, undelete and destroy, wire-compatible with
// Vault's KV v2.
type V2 struct {
	base
	locks *stripedLocks

	// cfgMu guards cfg, the cached engine configuration (nil until loaded).
	cfgMu sync.RWMutex
	cfg   *config
}

var _ logical.Backend = (*V2)(nil)

// NewV2 builds a KV v2 engine, upgrading KV v1 data found in the mount's
// storage first.
func NewV2(ctx context.Context, conf *logical.BackendConfig) (*V2, error) {
	if conf == nil {
		return nil, fmt.Errorf("kv v2: nil backend config")
	}
	b := &V2{base: newBase(conf), locks: newStripedLocks()}
	if conf.Storage != nil {
		if err := b.upgrade(ctx, conf.Storage); err != nil {
			return nil, fmt.Errorf("kv v2: %w", err)
		}
	}
	return b, nil
}

// The first segment of every KV v2 path names the endpoint.
const (
	endpointConfig   = "config"
	endpointData     = "data"
	endpointMetadata = "metadata"
	endpointDelete   = "delete"
	endpointUndelete = "undelete"
	endpointDestroy  = "destroy"
	endpointSubkeys  = "subkeys"
)

// splitPath returns the endpoint of a request path and the secret path
// after it; hasRest is false when the path is the endpoint alone.
func splitPath(p string) (endpoint, rest string, hasRest bool) {
	return strings.Cut(p, "/")
}

// HandleRequest implements logical.Backend.
func (b *V2) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	s, err := b.storageFor(req)
	if err != nil {
		return nil, err
	}
	endpoint, rest, hasRest := splitPath(req.Path)
	if endpoint == endpointConfig && !hasRest {
		return b.handleConfig(ctx, s, req)
	}
	if !hasRest {
		if endpoint == endpointMetadata && req.Operation == logical.ListOperation {
			return listKeys(ctx, s, v2MetaPrefix, "")
		}
		return b.handleRoot(req, endpoint)
	}
	switch endpoint {
	case endpointData:
		return b.handleData(ctx, s, req, rest)
	case endpointMetadata:
		return b.handleMetadata(ctx, s, req, rest)
	case endpointDelete, endpointUndelete, endpointDestroy:
		if !isWrite(req.Operation) {
			return nil, logical.ErrUnsupportedOperation
		}
		return b.handleVersions(ctx, s, req, endpoint, rest)
	case endpointSubkeys:
		if req.Operation != logical.ReadOperation {
			return nil, logical.ErrUnsupportedOperation
		}
		return b.subkeysRead(ctx, s, req, rest)
	}
	return invalidPath(req), nil
}

// ExistenceCheck implements logical.Backend: config always exists; data/
// and metadata/ exist when the secret has metadata; the other endpoints do
// not tell create from update.
func (b *V2) ExistenceCheck(ctx context.Context, req *logical.Request) (bool, bool, error) {
	endpoint, rest, hasRest := splitPath(req.Path)
	if endpoint == endpointConfig && !hasRest {
		return true, true, nil
	}
	if !hasRest || (endpoint != endpointData && endpoint != endpointMetadata) {
		return false, false, nil
	}
	if validateSecretPath(rest) != nil {
		// HandleRequest answers the bad path with a 400.
		return false, false, nil
	}
	s, err := b.storageFor(req)
	if err != nil {
		return false, false, err
	}
	// Presence of the metadata entry is the answer; decoding it here would
	// be repeated by the write that follows.
	entry, err := s.Get(ctx, metaKey(rest))
	if err != nil {
		return false, false, fmt.Errorf("kv v2 existence check: %w", err)
	}
	return true, entry != nil, nil
}

func isWrite(op logical.Operation) bool {
	return op == logical.CreateOperation || op == logical.UpdateOperation
}

// handleRoot answers a request for an endpoint name alone ("data",
// "metadata", ...) other than a listing of "metadata".
func (b *V2) handleRoot(req *logical.Request, endpoint string) (*logical.Response, error) {
	switch endpoint {
	case endpointMetadata, endpointData, endpointDelete, endpointUndelete, endpointDestroy, endpointSubkeys:
		resp := notFound()
		resp.AddWarning("Non-listing operations on the root of a K/V v2 mount are not supported.")
		return resp, nil
	}
	return invalidPath(req), nil
}

// invalidPath is Vault's answer to a path a KV v2 mount does not serve: a
// 404 whose warning names the CLI command to use instead.
func invalidPath(req *logical.Request) *logical.Response {
	sub := map[logical.Operation]string{
		logical.CreateOperation: "put",
		logical.UpdateOperation: "put",
		logical.PatchOperation:  "patch",
		logical.ReadOperation:   "get",
		logical.ListOperation:   "list",
		logical.DeleteOperation: "delete",
	}[req.Operation]
	resp := notFound()
	resp.AddWarning(fmt.Sprintf("Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv %s' for this operation.", sub))
	return resp
}

// checkMergePatch refuses a PATCH whose body is not a JSON merge patch.
func checkMergePatch(req *logical.Request) error {
	const mergePatchType = "application/merge-patch+json"
	if req.ContentType != mergePatchType {
		return logical.CodedErrorf(http.StatusUnsupportedMediaType,
			"PATCH requires Content-Type of %s, provided %s", mergePatchType, req.ContentType)
	}
	return nil
}

// config returns the engine configuration, loading it on first use.
func (b *V2) config(ctx context.Context, s logical.Storage) (config, error) {
	b.cfgMu.RLock()
	if b.cfg != nil {
		c := *b.cfg
		b.cfgMu.RUnlock()
		return c, nil
	}
	b.cfgMu.RUnlock()

	b.cfgMu.Lock()
	defer b.cfgMu.Unlock()
	if b.cfg != nil {
		return *b.cfg, nil
	}
	entry, err := s.Get(ctx, v2ConfigKey)
	if err != nil {
		return config{}, fmt.Errorf("read config: %w", err)
	}
	c := &config{}
	if entry != nil {
		if err := decodeJSON(entry.Value, c); err != nil {
			return config{}, err
		}
	}
	b.cfg = c
	return *c, nil
}

// commit applies ops atomically.
func commit(ctx context.Context, s logical.Storage, ops ...logical.StorageOp) error {
	if err := s.Commit(ctx, ops); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
