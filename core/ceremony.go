package core

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/vaultd/vaultd/barrier"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/seal"
)

// ceremonies holds the operator ceremonies under way: one root-token
// generation and one rekey at most. Its zero value is ready to use. Lock
// order: Core.stateLock, then mu.
type ceremonies struct {
	mu      sync.Mutex
	genRoot *genRootAttempt
	rekey   *rekeyAttempt
}

// errNotInitialized is how Vault answers a ceremony on a server that has
// never been initialised.
var errNotInitialized = logical.InvalidRequest("server is not yet initialized")

// withUnsealed runs fn with the seal configuration while holding the
// state lock for reading, so the server cannot be sealed under it.
func (c *Core) withUnsealed(ctx context.Context, fn func(st *unsealed, sc *sealRecord) error) error {
	sc, err := c.sealConfig(ctx)
	if err != nil {
		return err
	}
	if sc == nil {
		return errNotInitialized
	}
	c.stateLock.RLock()
	defer c.stateLock.RUnlock()
	if c.state == nil {
		return logical.ErrSealed
	}
	return fn(c.state, sc)
}

// addShare adds a share to a ceremony's progress, with Vault's wording for
// a repeated share.
func addShare(p *seal.Progress, share []byte) (bool, error) {
	ready, err := p.Add(share)
	switch {
	case errors.Is(err, seal.ErrDuplicateShare):
		return false, logical.InvalidRequest("given key has already been provided during this generation operation")
	case err != nil:
		return false, logical.InvalidRequest("%v", err)
	}
	return ready, nil
}

// combineAndVerify combines the shares of a ceremony into the unseal key
// and checks it against the barrier. A wrong set is a 400; the caller has
// already ended the attempt's progress.
func (c *Core) combineAndVerify(ctx context.Context, sc *seal.Config, shares [][]byte) ([]byte, error) {
	defer func() {
		for _, s := range shares {
			clear(s)
		}
	}()
	key, err := sc.CombineKey(shares)
	if err != nil {
		return nil, logical.InvalidRequest("failed to compute root key: %v", err)
	}
	if err := c.barrier.Unseal(ctx, key); err != nil {
		clear(key)
		if errors.Is(err, barrier.ErrBadUnsealKey) {
			return nil, logical.InvalidRequest("unable to authenticate: the key shares are wrong or mismatched; progress was reset")
		}
		return nil, fmt.Errorf("verify unseal key: %w", err)
	}
	return key, nil
}
