package database

import (
	"context"
	"fmt"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// Keys of a lease's internal data (kept by core with the lease, never
// shown to a client).
const (
	keyUsername   = "username"
	keyRole       = "role"
	keyDBName     = "db_name"
	keyRevocation = "revocation_statements"
)

// ttls returns a role's lease TTL and max TTL, falling back to the mount's.
func (b *Backend) ttls(r *role) (ttl, maxTTL time.Duration) {
	ttl, maxTTL = r.DefaultTTL, r.MaxTTL
	if b.system != nil {
		if ttl == 0 {
			ttl = b.system.DefaultLeaseTTL()
		}
		if maxTTL == 0 {
			maxTTL = b.system.MaxLeaseTTL()
		}
	}
	if maxTTL > 0 && ttl > maxTTL {
		ttl = maxTTL
	}
	return ttl, maxTTL
}

// credsRead creates a user for a role and returns it with a lease.
func (b *Backend) credsRead(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	r, err := b.loadRole(ctx, name)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, logical.InvalidRequest("unknown role: %s", name)
	}
	c, p, err := b.connection(ctx, r.DBName)
	if err != nil {
		return nil, err
	}
	if !c.allows(name) {
		return nil, logical.InvalidRequest("%q is not an allowed role", name)
	}
	ttl, maxTTL := b.ttls(r)
	username, err := renderUsername(c.UsernameTemplate, req.DisplayName, name, b.now)
	if err != nil {
		return nil, fmt.Errorf("generate username: %w", err)
	}
	password, err := generatePassword()
	if err != nil {
		return nil, fmt.Errorf("generate password: %w", err)
	}
	if err := createUser(ctx, c, p, r, username, password, b.now().Add(ttl)); err != nil {
		red := append(c.redactor(), password)
		return nil, logical.CodedErrorf(500, "error creating user for role %q: %s", name, red.String(err.Error()))
	}
	return &logical.Response{
		Data: map[string]any{"username": username, "password": password},
		Secret: &logical.Secret{
			TTL: ttl, MaxTTL: maxTTL, Renewable: true,
			InternalData: map[string]any{
				keyUsername: username, keyRole: name, keyDBName: r.DBName, keyRevocation: r.Revocation,
			},
		},
	}, nil
}

// leaseData reads what a lease recorded about its user.
type leaseData struct {
	username, role, dbName string
	revocation             []string
}

func readLease(sec *logical.Secret) (*leaseData, error) {
	if sec == nil || sec.InternalData == nil {
		return nil, logical.InvalidRequest("secret is missing internal data")
	}
	get := func(k string) string { s, _ := logical.ParseString(sec.InternalData[k]); return s }
	d := &leaseData{username: get(keyUsername), role: get(keyRole), dbName: get(keyDBName)}
	if raw, ok := sec.InternalData[keyRevocation]; ok && raw != nil {
		l, err := logical.ParseStringList(raw)
		if err == nil {
			d.revocation = l
		}
		if s, ok := raw.([]string); ok {
			d.revocation = s
		}
	}
	if d.username == "" || d.dbName == "" {
		return nil, logical.InvalidRequest("secret is missing its username or database")
	}
	return d, nil
}

// secretRenew extends a user's VALID UNTIL, within the role's max TTL
// counted from the lease's issue time.
func (b *Backend) secretRenew(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	d, err := readLease(req.Secret)
	if err != nil {
		return nil, err
	}
	r, err := b.loadRole(ctx, d.role)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, logical.InvalidRequest("could not find role %q", d.role)
	}
	// As in Vault: the increment asked for, else the role's default TTL
	// as it is now (not the TTL the lease got last time).
	defTTL, maxTTL := b.ttls(r)
	ttl := req.Secret.Increment
	if ttl <= 0 {
		ttl = defTTL
	}
	now := b.now()
	if maxTTL > 0 && !req.Secret.IssueTime.IsZero() {
		left := req.Secret.IssueTime.Add(maxTTL).Sub(now)
		if left <= 0 {
			return nil, logical.InvalidRequest("lease has reached its max TTL and cannot be renewed")
		}
		ttl = min(ttl, left)
	}
	c, p, err := b.connection(ctx, d.dbName)
	if err != nil {
		return nil, err
	}
	if err := renewUser(ctx, p, r.Renew, d.username, now.Add(ttl)); err != nil {
		return nil, fmt.Errorf("renew user: %w", c.redactor().Error(err))
	}
	sec := *req.Secret
	sec.TTL, sec.MaxTTL = ttl, maxTTL
	return &logical.Response{Secret: &sec}, nil
}

// secretRevoke drops a lease's user with the role's current revocation
// statements (those recorded with the lease when the role is gone).
func (b *Backend) secretRevoke(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	d, err := readLease(req.Secret)
	if err != nil {
		return nil, err
	}
	stmts := d.revocation
	if r, err := b.loadRole(ctx, d.role); err != nil {
		return nil, err
	} else if r != nil {
		stmts = r.Revocation
	}
	c, p, err := b.connection(ctx, d.dbName)
	if err != nil {
		return nil, err
	}
	if err := dropUser(ctx, p, stmts, d.username); err != nil {
		return nil, fmt.Errorf("revoke user %q: %w", d.username, c.redactor().Error(err))
	}
	return nil, nil
}
