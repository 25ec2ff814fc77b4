package token

import (
	"context"
	"errors"
	"fmt"

	"github.com/vaultd/vaultd/logical"
)

// RevokeTree revokes a token and all its descendants. Revoking a token that
// is already gone is not an error.
func (s *Store) RevokeTree(ctx context.Context, e *Entry) error {
	sum, ok, err := s.sumOf(ctx, e)
	if err != nil || !ok {
		return err
	}
	return s.revokeTree(ctx, sum)
}

// RevokeOrphan revokes a token alone; its children become orphans.
func (s *Store) RevokeOrphan(ctx context.Context, e *Entry) error {
	sum, ok, err := s.sumOf(ctx, e)
	if err != nil || !ok {
		return err
	}
	ent, err := s.markRevoked(ctx, sum)
	if err != nil || ent == nil {
		return err
	}
	children, err := s.children(ctx, sum)
	if err != nil {
		return err
	}
	for _, c := range children {
		if err := s.orphan(ctx, sum, c); err != nil {
			return err
		}
	}
	return s.destroy(ctx, ent)
}

// RevokeAccessor revokes the token with that accessor and its descendants,
// expired or half-revoked ones included; core's reaper uses it. An unknown
// accessor is not an error.
func (s *Store) RevokeAccessor(ctx context.Context, accessor string) error {
	sum, ok, err := s.sumByAccessor(ctx, accessor)
	if err != nil || !ok {
		return err
	}
	return s.revokeTree(ctx, sum)
}

// UseToken counts one use of a token with limited uses and returns the
// entry with the uses left. On the last use the token (with its children)
// is revoked at once and the entry returned has NumUses -1: the current
// request proceeds, no later one will. It returns nil when the token is
// already spent, revoked or expired. Tokens with unlimited uses are
// returned as given.
func (s *Store) UseToken(ctx context.Context, e *Entry) (*Entry, error) {
	if e == nil {
		return nil, errors.New("use token: nil entry")
	}
	if e.NumUses == 0 {
		return e, nil
	}
	sum, ok, err := s.sumOf(ctx, e)
	if err != nil || !ok {
		return nil, err
	}
	l := s.lock(sum)
	l.Lock()
	fresh, err := s.load(ctx, sum)
	if err != nil || fresh == nil || fresh.NumUses <= 0 || fresh.Expired(s.system.Now()) {
		l.Unlock()
		return nil, err
	}
	fresh.NumUses--
	last := fresh.NumUses == 0
	if last {
		fresh.NumUses = numUsesRevoked
	}
	err = s.put(ctx, fresh)
	s.cacheDrop(sum)
	l.Unlock()
	if err != nil {
		return nil, err
	}
	fresh.ID = e.ID
	if last {
		if err := s.revokeTree(ctx, sum); err != nil {
			return nil, fmt.Errorf("revoke spent token: %w", err)
		}
	}
	return fresh, nil
}

// revokeTree marks a token revoked, revokes its children depth first, then
// deletes it. Marking first means no new child can be created under it
// while its children are listed, and that it is refused from the start.
func (s *Store) revokeTree(ctx context.Context, sum hmacSum) error {
	ent, err := s.markRevoked(ctx, sum)
	if err != nil || ent == nil {
		return err
	}
	children, err := s.children(ctx, sum)
	if err != nil {
		return err
	}
	for _, c := range children {
		if err := s.revokeTree(ctx, c); err != nil {
			return err
		}
	}
	return s.destroy(ctx, ent)
}

// markRevoked stores the token as revoked and drops it from the cache. It
// returns nil when there is no such token.
func (s *Store) markRevoked(ctx context.Context, sum hmacSum) (*Entry, error) {
	l := s.lock(sum)
	l.Lock()
	defer l.Unlock()
	e, err := s.load(ctx, sum)
	if err != nil || e == nil {
		return nil, err
	}
	if e.NumUses != numUsesRevoked {
		e.NumUses = numUsesRevoked
		if err := s.put(ctx, e); err != nil {
			return nil, err
		}
	}
	s.cacheDrop(sum)
	return e, nil
}

// children lists the HMACs of a token's children.
func (s *Store) children(ctx context.Context, sum hmacSum) ([]hmacSum, error) {
	names, err := s.storage.List(ctx, parentPrefix+sum.hex()+"/")
	if err != nil {
		return nil, fmt.Errorf("list child tokens: %w", err)
	}
	out := make([]hmacSum, 0, len(names))
	for _, n := range names {
		c, ok := parseSum(n)
		if !ok {
			s.logger.Warn("skipping a malformed parent index entry")
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// orphan detaches a child from its parent.
func (s *Store) orphan(ctx context.Context, parent, child hmacSum) error {
	l := s.lock(child)
	l.Lock()
	defer l.Unlock()
	indexKey := parentPrefix + parent.hex() + "/" + child.hex()
	c, err := s.load(ctx, child)
	if err != nil {
		return err
	}
	if c == nil {
		if err := s.storage.Delete(ctx, indexKey); err != nil {
			return fmt.Errorf("delete parent index: %w", err)
		}
		return nil
	}
	c.Parent = ""
	c.Orphan = true
	body, err := jsonEntry(c)
	if err != nil {
		return err
	}
	ops := []logical.StorageOp{
		{Key: idPrefix + child.hex(), Value: body},
		{Key: indexKey, Delete: true},
	}
	if err := s.storage.Commit(ctx, ops); err != nil {
		return fmt.Errorf("orphan child token: %w", err)
	}
	s.cacheDrop(child)
	return nil
}

// destroy tells core, then deletes the token's entry and indexes.
func (s *Store) destroy(ctx context.Context, e *Entry) error {
	if h := s.getHooks(); h != nil {
		if err := h.TokenRevoked(ctx, e.clone()); err != nil {
			return fmt.Errorf("revoke token %s: %w", e.Accessor, err)
		}
	}
	key := e.sum.hex()
	ops := []logical.StorageOp{
		{Key: idPrefix + key, Delete: true},
		{Key: accessorPrefix + e.Accessor, Delete: true},
	}
	if e.Parent != "" {
		ops = append(ops, logical.StorageOp{Key: parentPrefix + e.Parent + "/" + key, Delete: true})
	}
	l := s.lock(e.sum)
	l.Lock()
	defer l.Unlock()
	if err := s.storage.Commit(ctx, ops); err != nil {
		return fmt.Errorf("delete token: %w", err)
	}
	s.cacheDrop(e.sum)
	s.logger.Debug("token revoked", "path", e.Path)
	return nil
}
