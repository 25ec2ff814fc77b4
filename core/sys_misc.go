package core

import (
	"context"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func (b *sysBackend) miscRoutes() []sysRoute {
	return []sysRoute{
		sysPath(`rotate`, map[logical.Operation]sysHandler{logical.UpdateOperation: b.rotate}),
		sysPath(`key-status`, map[logical.Operation]sysHandler{logical.ReadOperation: b.keyStatus}),
		sysPath(`seal`, map[logical.Operation]sysHandler{logical.UpdateOperation: b.seal}),
	}
}

// rotate installs a new key term in the barrier's keyring.
func (b *sysBackend) rotate(ctx context.Context, _ *logical.Request, _ []string) (*logical.Response, error) {
	if _, err := b.st.c.barrier.Rotate(ctx); err != nil {
		return nil, err
	}
	return nil, nil
}

func (b *sysBackend) keyStatus(ctx context.Context, _ *logical.Request, _ []string) (*logical.Response, error) {
	term, installed, err := b.st.c.barrier.KeyStatus(ctx)
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: map[string]any{
		"term":         term,
		"install_time": installed.UTC().Format(time.RFC3339Nano),
		"encryptions":  b.st.c.barrier.Encryptions(),
	}}, nil
}

// seal only authorises: Core.Seal does the sealing once the request has
// left the pipeline and released the state lock.
func (b *sysBackend) seal(context.Context, *logical.Request, []string) (*logical.Response, error) {
	return nil, nil
}
