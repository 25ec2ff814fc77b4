package token

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// tokenStorePathPrefix starts the creation path of every token this store
// issues itself; other tokens come from auth methods.
const tokenStorePathPrefix = "auth/token/"

// Renew extends a token's life. A periodic token gets its period again; any
// other gets increment (else its last granted TTL), never beyond its
// creation plus the least of the mount's max TTL, its issuer's max TTL and
// its explicit max TTL. A child never outlives its parent's current expiry.
// Tokens from auth methods are renewed only if Hooks.CheckRenew agrees; the
// Auth it returns sets the TTL asked for and the period, may set a new max
// TTL, and may lower (never raise or remove) the explicit max TTL. A token that
// never expires, is not renewable, or is past its max is refused with a
// 400.
func (s *Store) Renew(ctx context.Context, e *Entry, increment time.Duration) (*Entry, error) {
	out, _, err := s.renew(ctx, e, increment)
	return out, err
}

func (s *Store) renew(ctx context.Context, e *Entry, increment time.Duration) (*Entry, []string, error) {
	if increment < 0 {
		return nil, nil, logical.InvalidRequest("increment must not be negative")
	}
	if e != nil && e.IsBatch() {
		return nil, nil, checkRenewable(e)
	}
	sum, ok, err := s.sumOf(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, logical.InvalidRequest("token not found")
	}
	rl := &s.renewLocks[sum[0]]
	rl.Lock()
	defer rl.Unlock()

	cur, err := s.loadLive(ctx, sum)
	if err != nil {
		return nil, nil, err
	}
	if err := checkRenewable(cur); err != nil {
		return nil, nil, err
	}
	req, err := s.renewRequest(ctx, cur, increment)
	if err != nil {
		return nil, nil, err
	}
	ttl, warnings, err := calculateTTL(s.system, req)
	if err != nil {
		return nil, nil, err
	}
	parent, err := s.parentOf(ctx, cur)
	if err != nil {
		return nil, nil, err
	}
	ttl, pw, err := capToParent(ttl, parent, req.now)
	if err != nil {
		return nil, nil, err
	}
	warnings = append(warnings, pw...)

	updated, err := s.storeRenewal(ctx, sum, req, ttl)
	if err != nil {
		return nil, nil, err
	}
	updated.ID = e.ID
	if h := s.getHooks(); h != nil {
		if err := h.TokenRenewed(ctx, updated.clone()); err != nil {
			return nil, nil, fmt.Errorf("record token renewal: %w", err)
		}
	}
	return updated, warnings, nil
}

// loadLive reads a token that may be used now, or fails with "token not
// found".
func (s *Store) loadLive(ctx context.Context, sum hmacSum) (*Entry, error) {
	l := s.lock(sum)
	l.RLock()
	cur, err := s.load(ctx, sum)
	l.RUnlock()
	if err != nil {
		return nil, err
	}
	if cur == nil || !cur.live(s.system.Now()) {
		return nil, logical.InvalidRequest("token not found")
	}
	return cur, nil
}

// checkRenewable refuses tokens that never expire or are not renewable,
// with Vault's words.
func checkRenewable(e *Entry) error {
	if e.IsBatch() {
		return logical.InvalidRequest("batch tokens cannot be renewed")
	}
	if e.ExpireTime.IsZero() || !e.Renewable {
		return logical.InvalidRequest("lease is not renewable")
	}
	return nil
}

// renewRequest gathers the TTL inputs for a renewal, asking the issuing
// auth method for login tokens.
func (s *Store) renewRequest(ctx context.Context, cur *Entry, increment time.Duration) (ttlRequest, error) {
	req := ttlRequest{
		now:         s.system.Now(),
		start:       cur.CreationTime,
		increment:   increment,
		base:        cur.grantedTTL(),
		period:      cur.Period,
		maxTTL:      cur.MaxTTL,
		explicitMax: cur.ExplicitMaxTTL,
	}
	if strings.HasPrefix(cur.Path, tokenStorePathPrefix) {
		return req, nil
	}
	h := s.getHooks()
	if h == nil {
		return req, nil
	}
	auth, err := h.CheckRenew(ctx, cur.clone())
	if err != nil {
		return req, fmt.Errorf("renewal refused by %s: %w", cur.Path, err)
	}
	if auth != nil {
		// The method decides the TTL and period; a max TTL it leaves unset
		// keeps the token's, and an explicit max can only tighten.
		if auth.TTL > 0 {
			req.base = auth.TTL
		}
		if auth.MaxTTL > 0 {
			req.maxTTL = auth.MaxTTL
		}
		req.period = auth.Period
		req.explicitMax = lesserNonZero(req.explicitMax, auth.ExplicitMaxTTL)
	}
	return req, nil
}

// parentOf returns a child's parent, which must still be alive; nil for an
// orphan.
func (s *Store) parentOf(ctx context.Context, e *Entry) (*Entry, error) {
	if e.Parent == "" {
		return nil, nil
	}
	psum, ok := parseSum(e.Parent)
	if !ok {
		return nil, fmt.Errorf("token entry has a malformed parent")
	}
	p, err := s.loadLive(ctx, psum)
	if err != nil {
		if logical.StatusOf(err) == 400 {
			return nil, logical.InvalidRequest("parent token not found")
		}
		return nil, err
	}
	return p, nil
}

// storeRenewal writes the new expiry (and whatever the auth method changed)
// under the token's lock, provided the token is still alive.
func (s *Store) storeRenewal(ctx context.Context, sum hmacSum, req ttlRequest, ttl time.Duration) (*Entry, error) {
	l := s.lock(sum)
	l.Lock()
	defer l.Unlock()
	cur, err := s.load(ctx, sum)
	if err != nil {
		return nil, err
	}
	if cur == nil || !cur.live(req.now) {
		return nil, logical.InvalidRequest("token not found")
	}
	cur.ExpireTime = req.now.Add(ttl)
	cur.GrantedTTL = ttl
	cur.LastRenewalTime = req.now
	cur.MaxTTL = req.maxTTL
	cur.Period = req.period
	cur.ExplicitMaxTTL = req.explicitMax
	if err := s.put(ctx, cur); err != nil {
		return nil, err
	}
	s.cacheDrop(sum)
	return cur, nil
}
