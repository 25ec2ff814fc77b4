package core

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vaultd/vaultd/barrier"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/seal"
	"github.com/vaultd/vaultd/storage"
)

// RekeyStatus answers GET and PUT sys/rekey/init, and an unfinished
// sys/rekey/update, field for field as Vault.
type RekeyStatus struct {
	Nonce                string   `json:"nonce"`
	Started              bool     `json:"started"`
	T                    int      `json:"t"`
	N                    int      `json:"n"`
	Progress             int      `json:"progress"`
	Required             int      `json:"required"`
	PGPFingerprints      []string `json:"pgp_fingerprints"`
	Backup               bool     `json:"backup"`
	VerificationRequired bool     `json:"verification_required"`
}

// RekeyResult answers the sys/rekey/update that completes a rekey: the new
// shares, given once.
type RekeyResult struct {
	Nonce                string   `json:"nonce"`
	Complete             bool     `json:"complete"`
	Keys                 []string `json:"keys"`
	KeysBase64           []string `json:"keys_base64"`
	PGPFingerprints      []string `json:"pgp_fingerprints"`
	Backup               bool     `json:"backup"`
	VerificationRequired bool     `json:"verification_required"`
	VerificationNonce    string   `json:"verification_nonce,omitempty"`
	// Shares are the raw new shares; the server renders them.
	Shares [][]byte `json:"-"`
}

// rekeyAttempt is one rekey under way: the new configuration and the old
// shares gathered so far.
type rekeyAttempt struct {
	nonce    string
	next     seal.Config
	progress *seal.Progress
}

// RekeyStatus reports the rekey under way, if any.
func (c *Core) RekeyStatus(ctx context.Context) (*RekeyStatus, error) {
	var out *RekeyStatus
	err := c.withUnsealed(ctx, func(_ *unsealed, sc *sealRecord) error {
		c.ops.mu.Lock()
		defer c.ops.mu.Unlock()
		out = c.rekeyStatusLocked(sc)
		return nil
	})
	return out, err
}

func (c *Core) rekeyStatusLocked(sc *sealRecord) *RekeyStatus {
	st := &RekeyStatus{Required: sc.SecretThreshold}
	if a := c.ops.rekey; a != nil {
		st.Started, st.Nonce, st.Progress = true, a.nonce, a.progress.Count()
		st.T, st.N = a.next.SecretThreshold, a.next.SecretShares
	}
	return st
}

// RekeyInit starts a rekey to shares/threshold. A second one while one
// runs is a 400.
func (c *Core) RekeyInit(ctx context.Context, shares, threshold int) (*RekeyStatus, error) {
	next := seal.Config{Type: seal.TypeShamir, SecretShares: shares, SecretThreshold: threshold}
	if threshold > shares {
		return nil, logical.InvalidRequest("provided threshold greater than the total shares")
	}
	if err := next.Validate(); err != nil {
		return nil, logical.InvalidRequest("invalid rekey seal configuration: %v", err)
	}
	var out *RekeyStatus
	err := c.withUnsealed(ctx, func(_ *unsealed, sc *sealRecord) error {
		c.ops.mu.Lock()
		defer c.ops.mu.Unlock()
		if c.ops.rekey != nil {
			return logical.InvalidRequest("rekey already in progress")
		}
		p := seal.NewProgress()
		if err := p.SetThreshold(sc.SecretThreshold); err != nil {
			return err
		}
		c.ops.rekey = &rekeyAttempt{nonce: newUUID(), next: next, progress: p}
		c.logger.Info("rekey initialized", "nonce", c.ops.rekey.nonce, "shares", shares, "threshold", threshold)
		out = c.rekeyStatusLocked(sc)
		return nil
	})
	return out, err
}

// RekeyCancel discards the rekey under way, if any.
func (c *Core) RekeyCancel(ctx context.Context) error {
	return c.withUnsealed(ctx, func(*unsealed, *sealRecord) error {
		c.ops.mu.Lock()
		defer c.ops.mu.Unlock()
		if a := c.ops.rekey; a != nil {
			a.progress.Reset()
		}
		c.ops.rekey = nil
		return nil
	})
}

// RekeyUpdate adds one current unseal key share. Before the threshold it
// answers the status (and a nil result). At the threshold the shares are
// checked against the barrier; a right set makes a new unseal key, wraps
// the root key with it and stores it with the new seal configuration in
// one commit, so the old shares stop working at once, and answers the new
// shares. A wrong set resets the progress and is a 400.
func (c *Core) RekeyUpdate(ctx context.Context, share []byte, nonce string) (*RekeyStatus, *RekeyResult, error) {
	if len(share) == 0 {
		return nil, nil, logical.InvalidRequest("'key' must be specified in request body as JSON")
	}
	var status *RekeyStatus
	var result *RekeyResult
	err := c.withUnsealed(ctx, func(_ *unsealed, sc *sealRecord) error {
		c.ops.mu.Lock()
		defer c.ops.mu.Unlock()
		a := c.ops.rekey
		if a == nil {
			return logical.InvalidRequest("no barrier rekey in progress")
		}
		if nonce != a.nonce {
			return logical.InvalidRequest("incorrect nonce supplied; nonce for this rekey operation is %q", a.nonce)
		}
		ready, err := addShare(a.progress, share)
		if err != nil {
			return err
		}
		if !ready {
			status = c.rekeyStatusLocked(sc)
			return nil
		}
		old, err := c.combineAndVerify(ctx, &sc.Config, a.progress.Take())
		if err != nil {
			c.logger.Warn("rekey aborted: wrong key shares", "nonce", a.nonce)
			return err
		}
		clear(old)
		shares, err := c.rekeyBarrier(ctx, sc, a.next)
		if err != nil {
			return err
		}
		c.ops.rekey = nil
		if g := c.ops.genRoot; g != nil {
			// Its shares (and threshold) are the old ones now.
			g.progress.Reset()
			c.ops.genRoot = nil
			c.logger.Info("root generation canceled by the rekey", "nonce", g.nonce)
		}
		c.logger.Info("rekey complete", "nonce", a.nonce, "shares", a.next.SecretShares, "threshold", a.next.SecretThreshold)
		result = &RekeyResult{Nonce: a.nonce, Complete: true, Shares: shares, PGPFingerprints: []string{}}
		return nil
	})
	return status, result, err
}

// rekeyBarrier makes a new unseal key, splits it per next and has the
// barrier store the rewrapped root key together with the new seal
// configuration (same cluster identity).
func (c *Core) rekeyBarrier(ctx context.Context, cur *sealRecord, next seal.Config) ([][]byte, error) {
	key, err := barrier.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate unseal key: %w", err)
	}
	defer clear(key)
	shares, err := next.SplitKey(key)
	if err != nil {
		return nil, fmt.Errorf("split unseal key: %w", err)
	}
	rec := *cur
	rec.Config = next
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode seal configuration: %w", err)
	}
	if err := c.barrier.Rekey(ctx, key, storage.Op{Key: sealConfigKey, Value: raw}); err != nil {
		return nil, err
	}
	return shares, nil
}
