package approle

import (
	"context"
	"fmt"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

var generateSchema = map[string]*logical.FieldSchema{
	"secret_id":         {Type: logical.TypeString},
	"cidr_list":         {Type: logical.TypeStringList},
	"token_bound_cidrs": {Type: logical.TypeStringList},
	"num_uses":          {Type: logical.TypeInt},
	"ttl":               {Type: logical.TypeDuration},
}

var secretIDSchema = map[string]*logical.FieldSchema{
	"secret_id":          {Type: logical.TypeString},
	"secret_id_accessor": {Type: logical.TypeString},
}

// generateSecretID issues a secret ID for a role (a random one, or the
// caller's for custom-secret-id) and answers it once; only its HMAC is kept.
func (b *Backend) generateSecretID(ctx context.Context, req *logical.Request, name string, custom bool) (*logical.Response, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: generateSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	meta, err := parseMetadata(req.Data["metadata"])
	if err != nil {
		return nil, err
	}
	value := fd.Get("secret_id").(string)
	if custom && value == "" {
		return nil, logical.InvalidRequest("missing secret_id")
	}
	cidrs, err := tokenutil.CanonicalCIDRs(fd.Get("cidr_list").([]string))
	if err != nil {
		return nil, logical.InvalidRequest("failed to parse cidr_list: %v", err)
	}
	tokenCIDRs, err := tokenutil.CanonicalCIDRs(fd.Get("token_bound_cidrs").([]string))
	if err != nil {
		return nil, logical.InvalidRequest("failed to parse token_bound_cidrs: %v", err)
	}
	numUses := fd.Get("num_uses").(int64)
	ttl := fd.Get("ttl").(time.Duration)

	b.mu.Lock()
	defer b.mu.Unlock()
	r, err := loadRole(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, logical.InvalidRequest("role %q does not exist", name)
	}
	if !r.BindSecretID {
		return nil, logical.InvalidRequest("bind_secret_id is not set on the role")
	}
	if err := cidrsWithin(cidrs, r.SecretIDBoundCIDRs); err != nil {
		return nil, logical.InvalidRequest("failed to verify the CIDR restrictions set on the secret ID: %v", err)
	}
	if err := cidrsWithin(tokenCIDRs, r.TokenBoundCIDRs); err != nil {
		return nil, logical.InvalidRequest("failed to verify the token bound CIDR restrictions set on the secret ID: %v", err)
	}
	switch {
	case numUses < 0:
		return nil, logical.InvalidRequest("num_uses cannot be negative")
	case numUses == 0:
		numUses = r.SecretIDNumUses
	case r.SecretIDNumUses > 0 && numUses > r.SecretIDNumUses:
		return nil, logical.InvalidRequest("num_uses cannot be higher than the role's secret_id_num_uses")
	}
	switch {
	case ttl == 0:
		ttl = r.SecretIDTTL
	case r.SecretIDTTL > 0 && ttl > r.SecretIDTTL:
		return nil, logical.InvalidRequest("ttl cannot be longer than the role's secret_id_ttl")
	}
	if !custom {
		if value, err = newUUID(); err != nil {
			return nil, err
		}
	}
	hmac, err := b.hmacOf(ctx, req.Storage, value)
	if err != nil {
		return nil, err
	}
	if existing, err := loadSecretID(ctx, req.Storage, name, hmac); err != nil {
		return nil, err
	} else if existing != nil {
		return nil, logical.InvalidRequest("SecretID is already registered")
	}
	accessor, err := newUUID()
	if err != nil {
		return nil, err
	}
	now := b.system.Now()
	e := &secretID{
		SecretIDAccessor: accessor, SecretIDNumUses: numUses, SecretIDTTL: ttl,
		CreationTime: now, LastUpdatedTime: now, Metadata: meta,
		CIDRList: cidrs, TokenBoundCIDRs: tokenCIDRs,
	}
	if ttl > 0 {
		e.ExpirationTime = now.Add(ttl)
	}
	if err := putJSON(ctx, req.Storage, accessorPrefix+accessor, accessorEntry{Role: name, HMAC: hmac}); err != nil {
		return nil, err
	}
	if err := putJSON(ctx, req.Storage, secretIDKey(name, hmac), e); err != nil {
		return nil, err
	}
	return &logical.Response{Data: map[string]any{
		"secret_id":          value,
		"secret_id_accessor": accessor,
		"secret_id_ttl":      int64(ttl / time.Second),
		"secret_id_num_uses": numUses,
	}}, nil
}

func (b *Backend) listSecretIDs(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	r, err := loadRole(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, logical.InvalidRequest("role %q does not exist", name)
	}
	ids, err := b.secretIDsOf(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(ids))
	for _, e := range ids {
		keys = append(keys, e.SecretIDAccessor)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	return &logical.Response{Data: map[string]any{"keys": keys}}, nil
}

// findSecretID resolves the secret_id (or, byAccessor, the
// secret_id_accessor) of a request to a stored secret ID of the role.
func (b *Backend) findSecretID(ctx context.Context, req *logical.Request, name string, byAccessor bool) (*secretID, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: secretIDSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	r, err := loadRole(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, logical.InvalidRequest("role %q does not exist", name)
	}
	if byAccessor {
		acc := fd.Get("secret_id_accessor").(string)
		if acc == "" {
			return nil, logical.InvalidRequest("missing secret_id_accessor")
		}
		entry, err := req.Storage.Get(ctx, accessorPrefix+acc)
		if err != nil {
			return nil, fmt.Errorf("approle: read accessor: %w", err)
		}
		if entry == nil {
			return nil, logical.InvalidRequest("failed to find accessor entry for secret_id_accessor: %q", acc)
		}
		var ae accessorEntry
		if err := jsonUnmarshal(entry.Value, &ae); err != nil {
			return nil, err
		}
		if ae.Role != name {
			return nil, logical.InvalidRequest("failed to find accessor entry for secret_id_accessor: %q", acc)
		}
		return loadSecretID(ctx, req.Storage, name, ae.HMAC)
	}
	value := fd.Get("secret_id").(string)
	if value == "" {
		return nil, logical.InvalidRequest("missing secret_id")
	}
	hmac, err := b.hmacOf(ctx, req.Storage, value)
	if err != nil {
		return nil, err
	}
	return loadSecretID(ctx, req.Storage, name, hmac)
}

func (b *Backend) lookupSecretID(ctx context.Context, req *logical.Request, name string, byAccessor bool) (*logical.Response, error) {
	e, err := b.findSecretID(ctx, req, name, byAccessor)
	if err != nil || e == nil {
		return nil, err
	}
	return &logical.Response{Data: e.data()}, nil
}

func (b *Backend) destroySecretID(ctx context.Context, req *logical.Request, name string, byAccessor bool) (*logical.Response, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, err := b.findSecretID(ctx, req, name, byAccessor)
	if err != nil || e == nil {
		return nil, err
	}
	return nil, b.deleteSecretID(ctx, req.Storage, name, e.hmac, e.SecretIDAccessor)
}
