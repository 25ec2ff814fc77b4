package token

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// errBadToken is Vault's answer to a lookup of an unknown token.
var errBadToken = &logical.CodedError{Status: 403, Message: "bad token"}

func (b *backend) handleLookup(ctx context.Context, req *logical.Request, d *logical.FieldData, _ string) (*logical.Response, error) {
	id := d.Get("token").(string)
	if id == "" {
		id = req.ClientToken
	}
	if id == "" {
		return nil, logical.InvalidRequest("missing token ID")
	}
	e, err := b.lookupToken(ctx, req, id)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, errBadToken
	}
	return &logical.Response{Data: b.withIdentity(ctx, e, lookupData(e, b.s.system.Now(), true))}, nil
}

func (b *backend) handleLookupSelf(ctx context.Context, req *logical.Request, _ *logical.FieldData, _ string) (*logical.Response, error) {
	e, err := b.caller(ctx, req)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, errBadToken
	}
	return &logical.Response{Data: b.withIdentity(ctx, e, lookupData(e, b.s.system.Now(), true))}, nil
}

func (b *backend) handleLookupAccessor(ctx context.Context, _ *logical.Request, d *logical.FieldData, _ string) (*logical.Response, error) {
	e, err := b.byAccessor(ctx, d)
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: b.withIdentity(ctx, e, lookupData(e, b.s.system.Now(), false))}, nil
}

// byAccessor resolves the accessor field to a live token.
func (b *backend) byAccessor(ctx context.Context, d *logical.FieldData) (*Entry, error) {
	accessor := strings.TrimSpace(d.Get("accessor").(string))
	if accessor == "" {
		return nil, logical.InvalidRequest("missing accessor")
	}
	e, err := b.s.LookupAccessor(ctx, accessor)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, logical.InvalidRequest("invalid accessor")
	}
	return e, nil
}

// lookupData is the body of Vault's token lookups. showID is false for
// lookup-accessor, which answers an empty id.
func lookupData(e *Entry, now time.Time, showID bool) map[string]any {
	id := ""
	if showID {
		id = e.ID
	}
	data := map[string]any{
		"id":               id,
		"accessor":         e.Accessor,
		"policies":         nonNil(e.Policies),
		"path":             e.Path,
		"meta":             e.Meta,
		"display_name":     e.DisplayName,
		"num_uses":         e.NumUses,
		"orphan":           e.Parent == "",
		"creation_time":    e.CreationTime.Unix(),
		"creation_ttl":     seconds(e.TTL),
		"expire_time":      nil,
		"ttl":              int64(0),
		"explicit_max_ttl": seconds(e.ExplicitMaxTTL),
		"entity_id":        e.EntityID,
		"type":             e.Type,
		"issue_time":       e.CreationTime.Format(time.RFC3339Nano),
		"renewable":        e.Renewable && !e.ExpireTime.IsZero(),
	}
	if !e.ExpireTime.IsZero() {
		data["expire_time"] = e.ExpireTime.Format(time.RFC3339Nano)
		data["ttl"] = seconds(e.Remaining(now))
	}
	if e.Role != "" {
		data["role"] = e.Role
	}
	if e.Period != 0 {
		data["period"] = seconds(e.Period)
	}
	if len(e.BoundCIDRs) > 0 {
		data["bound_cidrs"] = e.BoundCIDRs
	}
	if !e.LastRenewalTime.IsZero() {
		data["last_renewal_time"] = e.LastRenewalTime.Unix()
		data["last_renewal"] = e.LastRenewalTime.Format(time.RFC3339Nano)
	}
	return data
}

func (b *backend) handleRenew(ctx context.Context, req *logical.Request, d *logical.FieldData, _ string) (*logical.Response, error) {
	id := d.Get("token").(string)
	if id == "" {
		return nil, logical.InvalidRequest("missing token ID")
	}
	e, err := b.lookupToken(ctx, req, id)
	if err != nil {
		return nil, fmt.Errorf("look up token to renew: %w", err)
	}
	return b.renewResponse(ctx, e, d, true)
}

func (b *backend) handleRenewSelf(ctx context.Context, req *logical.Request, d *logical.FieldData, _ string) (*logical.Response, error) {
	e, err := b.caller(ctx, req)
	if err != nil {
		return nil, err
	}
	return b.renewResponse(ctx, e, d, true)
}

func (b *backend) handleRenewAccessor(ctx context.Context, _ *logical.Request, d *logical.FieldData, _ string) (*logical.Response, error) {
	e, err := b.byAccessor(ctx, d)
	if err != nil {
		return nil, err
	}
	return b.renewResponse(ctx, e, d, false)
}

// renewResponse renews e and answers with its auth; the token itself is
// left out when it was named by accessor.
func (b *backend) renewResponse(ctx context.Context, e *Entry, d *logical.FieldData, showToken bool) (*logical.Response, error) {
	if e == nil {
		return nil, logical.InvalidRequest("token not found")
	}
	updated, warnings, err := b.s.renew(ctx, e, d.Get("increment").(time.Duration))
	if err != nil {
		return nil, err
	}
	auth := updated.ToAuth()
	if !showToken {
		auth.ClientToken = ""
	}
	return &logical.Response{Auth: auth, Warnings: warnings}, nil
}

func (b *backend) handleRevoke(ctx context.Context, req *logical.Request, d *logical.FieldData, _ string) (*logical.Response, error) {
	id := d.Get("token").(string)
	if id == "" {
		return nil, logical.InvalidRequest("missing token ID")
	}
	e, err := b.lookupToken(ctx, req, id)
	if err != nil || e == nil {
		return nil, err
	}
	return nil, b.s.RevokeTree(ctx, e)
}

func (b *backend) handleRevokeSelf(ctx context.Context, req *logical.Request, _ *logical.FieldData, _ string) (*logical.Response, error) {
	e, err := b.caller(ctx, req)
	if err != nil || e == nil {
		return nil, err
	}
	return nil, b.s.RevokeTree(ctx, e)
}

// handleRevokeAccessor revokes the token behind an accessor, even one that
// has expired and awaits the reaper. An unknown accessor only warns, as in
// Vault.
func (b *backend) handleRevokeAccessor(ctx context.Context, _ *logical.Request, d *logical.FieldData, _ string) (*logical.Response, error) {
	accessor := strings.TrimSpace(d.Get("accessor").(string))
	if accessor == "" {
		return nil, logical.InvalidRequest("missing accessor")
	}
	_, found, err := b.s.sumByAccessor(ctx, accessor)
	if err != nil {
		return nil, err
	}
	if !found {
		return &logical.Response{Warnings: []string{"No token found with this accessor"}}, nil
	}
	return nil, b.s.RevokeAccessor(ctx, accessor)
}

func (b *backend) handleRevokeOrphan(ctx context.Context, req *logical.Request, d *logical.FieldData, _ string) (*logical.Response, error) {
	id := d.Get("token").(string)
	if id == "" {
		return nil, logical.InvalidRequest("missing token ID")
	}
	caller, err := b.caller(ctx, req)
	if err != nil {
		return nil, err
	}
	if caller == nil || !b.isSudo(ctx, caller, req) {
		return nil, logical.InvalidRequest("root or sudo privileges required to revoke and orphan")
	}
	e, err := b.lookupToken(ctx, req, id)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, logical.InvalidRequest("token to revoke not found")
	}
	return nil, b.s.RevokeOrphan(ctx, e)
}

// handleAccessorList lists every accessor (sudo, by SpecialPaths).
func (b *backend) handleAccessorList(ctx context.Context, _ *logical.Request, _ *logical.FieldData, _ string) (*logical.Response, error) {
	keys, err := b.s.storage.List(ctx, accessorPrefix)
	if err != nil {
		return nil, fmt.Errorf("list accessors: %w", err)
	}
	return listResponse(keys), nil
}
