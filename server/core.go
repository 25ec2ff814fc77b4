package server

import (
	"context"

	"github.com/vaultd/vaultd/core"
	"github.com/vaultd/vaultd/logical"
)

// Core is what the HTTP layer needs from vaultd's core. *core.Core satisfies
// it; tests of the HTTP mapping use a small test double.
type Core interface {
	// HandleRequest runs one request through the pipeline. req.Path is the
	// full path after /v1/; on return req.MountType names the mount type
	// that served it.
	HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error)
	// Initialized reports whether sys/init has run.
	Initialized(ctx context.Context) (bool, error)
	// Initialize runs the init ceremony.
	Initialize(ctx context.Context, p core.InitParams) (*core.InitResult, error)
	// Unseal adds one raw key share.
	Unseal(ctx context.Context, share []byte) (*core.SealStatus, error)
	// ResetUnseal discards the shares given so far.
	ResetUnseal(ctx context.Context) (*core.SealStatus, error)
	// SealStatus reports the seal state.
	SealStatus(ctx context.Context) (*core.SealStatus, error)
	// Seal seals the core on behalf of the caller described by req (its
	// token, address and headers).
	Seal(ctx context.Context, req *logical.Request) error
	// Sealed reports whether the core is sealed. It is called on every
	// request, so it must be cheap.
	Sealed() bool
}

var _ Core = (*core.Core)(nil)
