package token

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

// rootPath is the creation path Vault gives the initial root token.
const rootPath = "auth/token/root"

// CreateRoot creates a root token: policy "root", no expiry, no parent.
// An empty id means a random one; a chosen id (dev mode) must not exist.
func (s *Store) CreateRoot(ctx context.Context, id string) (*Entry, error) {
	e := &Entry{
		ID:           id,
		Policies:     []string{"root"},
		Path:         rootPath,
		DisplayName:  "root",
		CreationTime: s.system.Now(),
		Orphan:       true,
		Type:         TypeService,
	}
	if err := s.insert(ctx, e, nil); err != nil {
		return nil, err
	}
	return e.clone(), nil
}

// CreateFromAuth creates the token a login asked for, at path (the login
// path, "auth/kubernetes/login"). Login tokens are orphans. Policies get
// "default" unless auth.NoDefaultPolicy; the TTL is auth.TTL (else the
// mount's default) capped by auth.MaxTTL, auth.ExplicitMaxTTL and the
// mount's max, or auth.Period for a periodic token. The display name is
// used as given. ClientToken, Accessor, TTL, Policies, TokenPolicies,
// Orphan, TokenType and IssueTime are filled in on auth.
func (s *Store) CreateFromAuth(ctx context.Context, path string, auth *logical.Auth) (*Entry, error) {
	if auth == nil {
		return nil, errors.New("create token from auth: nil auth")
	}
	if err := checkTokenType(string(auth.TokenType)); err != nil {
		return nil, err
	}
	if auth.NumUses < 0 {
		return nil, logical.InvalidRequest("number of uses cannot be negative")
	}
	pols := auth.Policies
	if len(pols) == 0 {
		pols = auth.TokenPolicies
	}
	policies := tokenutil.SanitizePolicies(pols, !auth.NoDefaultPolicy)
	if slices.Contains(policies, "root") {
		return nil, logical.InvalidRequest("auth methods cannot create root tokens")
	}
	if err := checkAssignable(policies); err != nil {
		return nil, err
	}
	now := s.system.Now()
	ttl, _, err := calculateTTL(s.system, ttlRequest{
		now: now, start: now, base: auth.TTL, period: auth.Period,
		maxTTL: auth.MaxTTL, explicitMax: auth.ExplicitMaxTTL,
	})
	if err != nil {
		return nil, err
	}
	if ttl <= 0 {
		return nil, errors.New("create token from auth: no TTL could be set (the mount has no default or max TTL)")
	}
	e := &Entry{
		Policies:        policies,
		Path:            path,
		Meta:            maps.Clone(auth.Metadata),
		DisplayName:     auth.DisplayName,
		NumUses:         auth.NumUses,
		CreationTime:    now,
		TTL:             ttl,
		ExplicitMaxTTL:  auth.ExplicitMaxTTL,
		Period:          auth.Period,
		MaxTTL:          auth.MaxTTL,
		Renewable:       auth.Renewable,
		Orphan:          true,
		Type:            TypeService,
		EntityID:        auth.EntityID,
		BoundCIDRs:      slices.Clone(auth.BoundCIDRs),
		NoDefaultPolicy: auth.NoDefaultPolicy,
		InternalData:    maps.Clone(auth.InternalData),
	}
	e.ExpireTime = now.Add(ttl)
	if err := s.insert(ctx, e, nil); err != nil {
		return nil, err
	}
	auth.ClientToken = e.ID
	auth.Accessor = e.Accessor
	auth.TTL = ttl
	auth.Policies = slices.Clone(policies)
	auth.TokenPolicies = slices.Clone(policies)
	auth.Orphan = true
	auth.TokenType = logical.TokenTypeService
	auth.IssueTime = now
	return e.clone(), nil
}

// checkTokenType accepts "", "service" and "default-service".
func checkTokenType(t string) error {
	switch t {
	case "", TypeService, "default", "default-service":
		return nil
	case "batch", "default-batch":
		return logical.InvalidRequest("batch tokens are not supported")
	}
	return logical.InvalidRequest("invalid 'token_type' value %q", t)
}

// insert stores a new token: its entry, its accessor and, for a child, the
// parent index, in one commit. e.ID, when set, is a caller-chosen ID. For a
// child, parent is the caller's entry; the parent is checked again under
// its lock so that a token being revoked cannot gain children. On return
// e carries its ID, accessor and HMAC; TokenCreated has been called.
func (s *Store) insert(ctx context.Context, e *Entry, parent *Entry) error {
	custom := e.ID != ""
	if !custom {
		id, err := newTokenID()
		if err != nil {
			return err
		}
		e.ID = id
	}
	acc, err := randomBase62(accessorChars)
	if err != nil {
		return err
	}
	e.Accessor = acc
	e.sum, e.hasSum = s.hasher.sum(e.ID), true
	e.Orphan = parent == nil
	e.Parent = ""
	var parentSum hmacSum
	if parent != nil {
		ps, ok, err := s.sumOf(ctx, parent)
		if err != nil {
			return err
		}
		if !ok {
			return logical.InvalidRequest("parent token not found")
		}
		parentSum = ps
		e.Parent = ps.hex()
	}
	if e.GrantedTTL == 0 {
		e.GrantedTTL = e.TTL
	}
	body, err := jsonEntry(e)
	if err != nil {
		return err
	}
	key := e.sum.hex()
	ops := []logical.StorageOp{
		{Key: idPrefix + key, Value: body},
		{Key: accessorPrefix + acc, Value: []byte(key)},
	}
	if parent != nil {
		ops = append(ops, logical.StorageOp{Key: parentPrefix + e.Parent + "/" + key, Value: []byte{}})
	}
	if err := s.commitNew(ctx, e, custom, parent != nil, parentSum, ops); err != nil {
		return err
	}

	l := s.lock(e.sum)
	l.RLock()
	s.cachePut(e.sum, e)
	l.RUnlock()

	if h := s.getHooks(); h != nil {
		if err := h.TokenCreated(ctx, e.clone()); err != nil {
			if rerr := s.revokeTree(ctx, e.sum); rerr != nil {
				s.logger.Error("undoing a token creation failed", "path", e.Path, "error", rerr)
			}
			return fmt.Errorf("record new token: %w", err)
		}
	}
	return nil
}

// commitNew writes the ops of a new token, checking a custom ID for
// duplicates and a parent for life while holding the matching locks.
func (s *Store) commitNew(ctx context.Context, e *Entry, custom, hasParent bool, parentSum hmacSum, ops []logical.StorageOp) error {
	if custom {
		s.customIDMu.Lock()
		defer s.customIDMu.Unlock()
		existing, err := s.storage.Get(ctx, ops[0].Key)
		if err != nil {
			return fmt.Errorf("check token ID: %w", err)
		}
		if existing != nil {
			return logical.InvalidRequest("cannot create a token with a duplicate ID")
		}
	}
	if hasParent {
		l := s.lock(parentSum)
		l.RLock()
		defer l.RUnlock()
		// Under the parent's lock a cached entry is current: every change
		// drops it while holding the lock exclusively.
		p := s.cacheGet(parentSum)
		if p == nil {
			var err error
			if p, err = s.load(ctx, parentSum); err != nil {
				return err
			}
		}
		if p == nil || !p.live(s.system.Now()) {
			return logical.InvalidRequest("parent token not found")
		}
	}
	if err := s.storage.Commit(ctx, ops); err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	s.logger.Debug("token created", "path", e.Path, "orphan", !hasParent)
	return nil
}

// checkAssignable refuses Vault's internal policies, which no token may
// carry.
func checkAssignable(policies []string) error {
	for _, p := range policies {
		switch p {
		case "response-wrapping", "control-group":
			return logical.InvalidRequest("cannot assign policy %q", p)
		}
	}
	return nil
}
