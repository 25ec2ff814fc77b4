package approle

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

var loginSchema = map[string]*logical.FieldSchema{
	"role_id":   {Type: logical.TypeString},
	"secret_id": {Type: logical.TypeString},
}

// errBadCredentials is Vault's one answer to an unknown role ID and to a
// wrong, spent, destroyed or expired secret ID.
var errBadCredentials = logical.InvalidRequest("invalid role or secret ID")

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("approle: decode: %w", err)
	}
	return nil
}

func (b *Backend) login(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: loginSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	roleID := fd.Get("role_id").(string)
	if roleID == "" {
		return nil, logical.InvalidRequest("missing role_id")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	name, r, err := b.roleByID(ctx, req.Storage, roleID)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errBadCredentials
	}
	meta := map[string]string{}
	var tokenCIDRs []string
	if r.BindSecretID {
		e, err := b.useSecretID(ctx, req, name, r, fd.Get("secret_id").(string))
		if err != nil {
			return nil, err
		}
		maps.Copy(meta, e.Metadata)
		tokenCIDRs = e.TokenBoundCIDRs
	}
	if !tokenutil.AddrInCIDRs(req.RemoteAddr, r.SecretIDBoundCIDRs) {
		return nil, logical.InvalidRequest("source address %q unauthorized by CIDR restrictions on the role", req.RemoteAddr)
	}
	meta["role_name"] = name
	auth := &logical.Auth{
		Metadata:     meta,
		Alias:        &logical.Alias{Name: r.RoleID, Metadata: maps.Clone(meta)},
		InternalData: map[string]any{"role_name": name},
	}
	r.PopulateTokenAuth(auth)
	if len(tokenCIDRs) > 0 {
		auth.BoundCIDRs = tokenCIDRs
	}
	if !tokenutil.AddrInCIDRs(req.RemoteAddr, auth.BoundCIDRs) {
		return nil, logical.ErrPermissionDenied
	}
	return &logical.Response{Auth: auth}, nil
}

// useSecretID checks a secret ID against the role and spends one of its
// uses (deleting it on the last). The caller holds b.mu.
func (b *Backend) useSecretID(ctx context.Context, req *logical.Request, name string, r *role, value string) (*secretID, error) {
	if value == "" {
		return nil, logical.InvalidRequest("missing secret_id")
	}
	hmac, err := b.hmacOf(ctx, req.Storage, value)
	if err != nil {
		return nil, err
	}
	e, err := loadSecretID(ctx, req.Storage, name, hmac)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return nil, errBadCredentials
	}
	now := b.system.Now()
	if e.expired(now) {
		if err := b.deleteSecretID(ctx, req.Storage, name, hmac, e.SecretIDAccessor); err != nil {
			return nil, err
		}
		return nil, errBadCredentials
	}
	if err := cidrsWithin(e.CIDRList, r.SecretIDBoundCIDRs); err != nil {
		return nil, err
	}
	if !tokenutil.AddrInCIDRs(req.RemoteAddr, e.CIDRList) {
		return nil, logical.InvalidRequest("source address %q unauthorized by CIDR restrictions on the secret ID", req.RemoteAddr)
	}
	switch e.SecretIDNumUses {
	case 0:
	case 1:
		if err := b.deleteSecretID(ctx, req.Storage, name, hmac, e.SecretIDAccessor); err != nil {
			return nil, err
		}
	default:
		e.SecretIDNumUses--
		e.LastUpdatedTime = now
		if err := putJSON(ctx, req.Storage, secretIDKey(name, hmac), e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// renew lets a token be renewed while its role exists; it takes the
// role's current TTLs.
func (b *Backend) renew(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	if req.Auth == nil {
		return nil, logical.InvalidRequest("renew: no auth to renew")
	}
	name, _ := req.Auth.InternalData["role_name"].(string)
	r, err := loadRole(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, logical.InvalidRequest("role %q does not exist during renewal", name)
	}
	return r.Renewed(req.Auth), nil
}

// tidy deletes expired secret IDs and accessors whose secret ID is gone.
// It runs at once and answers 202, as Vault's (asynchronous) tidy does.
func (b *Backend) tidy(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.system.Now()
	roles, err := req.Storage.List(ctx, secretIDPrefix)
	if err != nil {
		return nil, fmt.Errorf("approle: tidy: %w", err)
	}
	for _, dir := range roles {
		name := trimSlash(dir)
		ids, err := b.secretIDsOf(ctx, req.Storage, name)
		if err != nil {
			return nil, err
		}
		for _, e := range ids {
			if e.expired(now) {
				if err := b.deleteSecretID(ctx, req.Storage, name, e.hmac, e.SecretIDAccessor); err != nil {
					return nil, err
				}
			}
		}
	}
	accessors, err := req.Storage.List(ctx, accessorPrefix)
	if err != nil {
		return nil, fmt.Errorf("approle: tidy: %w", err)
	}
	for _, acc := range accessors {
		entry, err := req.Storage.Get(ctx, accessorPrefix+acc)
		if err != nil || entry == nil {
			continue
		}
		var ae accessorEntry
		if jsonUnmarshal(entry.Value, &ae) != nil {
			continue
		}
		if e, err := loadSecretID(ctx, req.Storage, ae.Role, ae.HMAC); err == nil && e == nil {
			if err := req.Storage.Delete(ctx, accessorPrefix+acc); err != nil {
				return nil, fmt.Errorf("approle: tidy: %w", err)
			}
		}
	}
	return &logical.Response{
		StatusCode: http.StatusAccepted,
		Data:       map[string]any{},
		Warnings:   []string{"Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs."},
	}, nil
}

func trimSlash(s string) string {
	if len(s) > 0 && s[len(s)-1] == '/' {
		return s[:len(s)-1]
	}
	return s
}
