package core

import (
	"context"
	"fmt"

	"github.com/vaultd/vaultd/auth/token"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/seal"
)

// GenerateRootStatus answers sys/generate-root/attempt and
// sys/generate-root/update, field for field as Vault.
type GenerateRootStatus struct {
	Nonce            string `json:"nonce"`
	Started          bool   `json:"started"`
	Progress         int    `json:"progress"`
	Required         int    `json:"required"`
	Complete         bool   `json:"complete"`
	EncodedToken     string `json:"encoded_token"`
	EncodedRootToken string `json:"encoded_root_token"`
	PGPFingerprint   string `json:"pgp_fingerprint"`
	OTP              string `json:"otp"`
	OTPLength        int    `json:"otp_length"`
}

// genRootAttempt is one root-token generation under way. The one-time pad
// is held only in memory and never reported back once set.
type genRootAttempt struct {
	nonce    string
	otp      string
	progress *seal.Progress
}

// GenerateRootStatus reports the attempt under way, if any.
func (c *Core) GenerateRootStatus(ctx context.Context) (*GenerateRootStatus, error) {
	var out *GenerateRootStatus
	err := c.withUnsealed(ctx, func(_ *unsealed, sc *sealRecord) error {
		c.ops.mu.Lock()
		defer c.ops.mu.Unlock()
		out = c.genRootStatusLocked(sc)
		return nil
	})
	return out, err
}

func (c *Core) genRootStatusLocked(sc *sealRecord) *GenerateRootStatus {
	st := &GenerateRootStatus{Required: sc.SecretThreshold, OTPLength: token.IDLength}
	if a := c.ops.genRoot; a != nil {
		st.Started, st.Nonce, st.Progress = true, a.nonce, a.progress.Count()
	}
	return st
}

// GenerateRootInit starts an attempt protected by otp. With no otp (and no
// PGP key, which vaultd does not support) the server draws one and reports
// it in the answer, once. A second attempt while one runs is a 400.
func (c *Core) GenerateRootInit(ctx context.Context, otp, pgpKey string) (*GenerateRootStatus, error) {
	if pgpKey != "" {
		return nil, logical.InvalidRequest("pgp_key is not supported: vaultd encodes root tokens with an OTP only")
	}
	generated := ""
	if otp == "" {
		var err error
		if otp, err = seal.GenerateOTP(token.IDLength); err != nil {
			return nil, err
		}
		generated = otp
	}
	if len(otp) != token.IDLength {
		return nil, logical.InvalidRequest("%v", seal.ErrOTPLength)
	}
	var out *GenerateRootStatus
	err := c.withUnsealed(ctx, func(_ *unsealed, sc *sealRecord) error {
		c.ops.mu.Lock()
		defer c.ops.mu.Unlock()
		if c.ops.genRoot != nil {
			return logical.InvalidRequest("root generation already in progress")
		}
		p := seal.NewProgress()
		if err := p.SetThreshold(sc.SecretThreshold); err != nil {
			return err
		}
		c.ops.genRoot = &genRootAttempt{nonce: newUUID(), otp: otp, progress: p}
		c.logger.Info("root generation initialized", "nonce", c.ops.genRoot.nonce)
		out = c.genRootStatusLocked(sc)
		out.OTP = generated
		return nil
	})
	return out, err
}

// GenerateRootCancel discards the attempt under way, if any.
func (c *Core) GenerateRootCancel(ctx context.Context) error {
	return c.withUnsealed(ctx, func(*unsealed, *sealRecord) error {
		c.ops.mu.Lock()
		defer c.ops.mu.Unlock()
		if a := c.ops.genRoot; a != nil {
			a.progress.Reset()
		}
		c.ops.genRoot = nil
		return nil
	})
}

// GenerateRootUpdate adds one unseal key share to the attempt. At the
// threshold the shares are combined and checked against the barrier: a
// right set mints a new root token, returned encoded with the attempt's
// OTP, and ends the attempt; a wrong set resets the progress (the attempt
// and its nonce stay) and is a 400.
func (c *Core) GenerateRootUpdate(ctx context.Context, share []byte, nonce string) (*GenerateRootStatus, error) {
	if len(share) == 0 {
		return nil, logical.InvalidRequest("'key' must be specified in request body as JSON")
	}
	var out *GenerateRootStatus
	err := c.withUnsealed(ctx, func(st *unsealed, sc *sealRecord) error {
		c.ops.mu.Lock()
		defer c.ops.mu.Unlock()
		a := c.ops.genRoot
		if a == nil {
			return logical.InvalidRequest("no root generation in progress")
		}
		if nonce != a.nonce {
			return logical.InvalidRequest("incorrect nonce supplied; nonce for this root generation operation is %q", a.nonce)
		}
		ready, err := addShare(a.progress, share)
		if err != nil {
			return err
		}
		out = &GenerateRootStatus{Started: true, Nonce: a.nonce, Progress: a.progress.Count(), Required: sc.SecretThreshold, OTPLength: token.IDLength}
		if !ready {
			return nil
		}
		key, err := c.combineAndVerify(ctx, &sc.Config, a.progress.Take())
		if err != nil {
			c.logger.Warn("root generation aborted: wrong key shares", "nonce", a.nonce)
			return fmt.Errorf("root generation aborted: %w", err)
		}
		clear(key)
		root, err := st.tokens.CreateRoot(ctx, "")
		if err != nil {
			return fmt.Errorf("create root token: %w", err)
		}
		encoded, err := seal.EncodeRootToken(root.ID, a.otp)
		if err != nil {
			return err
		}
		out.Complete, out.EncodedToken, out.EncodedRootToken = true, encoded, encoded
		c.ops.genRoot = nil
		c.logger.Info("root generation finished", "nonce", a.nonce)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
