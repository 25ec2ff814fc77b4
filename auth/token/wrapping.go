package token

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// CreateWrapping creates a response-wrapping token: an orphan with the
// response-wrapping policy alone, one use, not renewable, living ttl
// (which is also its explicit max), created at path (the path whose answer
// it wraps). Its cubbyhole is where core keeps that answer.
func (s *Store) CreateWrapping(ctx context.Context, path string, ttl time.Duration) (*Entry, error) {
	if ttl <= 0 {
		return nil, errors.New("create wrapping token: no TTL")
	}
	now := s.system.Now()
	e := &Entry{
		Policies:       []string{logical.ResponseWrappingPolicy},
		Path:           path,
		NumUses:        1,
		CreationTime:   now,
		TTL:            ttl,
		ExpireTime:     now.Add(ttl),
		ExplicitMaxTTL: ttl,
		Orphan:         true,
		Type:           TypeService,
	}
	if err := s.insert(ctx, e, nil); err != nil {
		return nil, err
	}
	return e.clone(), nil
}

// IsWrapping reports whether e is a response-wrapping token.
func (e *Entry) IsWrapping() bool {
	return slices.Equal(e.Policies, []string{logical.ResponseWrappingPolicy})
}
