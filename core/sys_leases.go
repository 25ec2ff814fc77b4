package core

import (
	"context"
	"errors"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func (b *sysBackend) leaseRoutes() []sysRoute {
	upd := func(h sysHandler) map[logical.Operation]sysHandler {
		return map[logical.Operation]sysHandler{logical.UpdateOperation: h}
	}
	return []sysRoute{
		sysPath(`leases/lookup`, upd(b.leaseLookup)),
		sysPath(`leases/lookup/(.*)`, map[logical.Operation]sysHandler{logical.ListOperation: b.leaseList}),
		sysPath(`(?:leases/)?renew(?:/(.+))?`, upd(b.leaseRenew)),
		sysPath(`(?:leases/)?revoke(?:/(.+))?`, upd(b.leaseRevoke)),
		sysPath(`(?:leases/)?revoke-prefix/(.+)`, upd(b.leaseRevokePrefix(false))),
		sysPath(`(?:leases/)?revoke-force/(.+)`, upd(b.leaseRevokePrefix(true))),
	}
}

// leaseIDFrom reads lease_id from the body, or from the URL suffix of the
// legacy sys/renew/<id> and sys/revoke/<id> forms.
func leaseIDFrom(req *logical.Request, m []string) (string, error) {
	if v, ok := req.Data["lease_id"]; ok {
		s, err := logical.ParseString(v)
		if err != nil {
			return "", logical.InvalidRequest("error converting input for field \"lease_id\": %v", err)
		}
		if s != "" {
			return s, nil
		}
	}
	if len(m) > 1 && m[1] != "" {
		return m[1], nil
	}
	return "", logical.InvalidRequest("lease_id must be specified")
}

func (b *sysBackend) leaseLookup(_ context.Context, req *logical.Request, m []string) (*logical.Response, error) {
	id, err := leaseIDFrom(req, m)
	if err != nil {
		return nil, err
	}
	rec := b.st.expiration.lookupLease(id)
	if rec == nil {
		return nil, logical.InvalidRequest("invalid lease")
	}
	now := b.st.c.now()
	data := map[string]any{
		"id":           rec.LeaseID,
		"issue_time":   rec.IssueTime.UTC().Format(time.RFC3339Nano),
		"expire_time":  rec.ExpireTime.UTC().Format(time.RFC3339Nano),
		"last_renewal": nil,
		"renewable":    rec.Secret != nil && rec.Secret.Renewable,
		"ttl":          int64(rec.ExpireTime.Sub(now).Round(time.Second) / time.Second),
	}
	if !rec.LastRenewal.IsZero() {
		data["last_renewal"] = rec.LastRenewal.UTC().Format(time.RFC3339Nano)
	}
	return &logical.Response{Data: data}, nil
}

func (b *sysBackend) leaseList(_ context.Context, _ *logical.Request, m []string) (*logical.Response, error) {
	keys := b.st.expiration.listLeases(m[1])
	if len(keys) == 0 {
		return nil, nil
	}
	return &logical.Response{Data: map[string]any{"keys": keys}}, nil
}

// leaseRenew asks the engine that issued a secret lease to extend it.
func (b *sysBackend) leaseRenew(ctx context.Context, req *logical.Request, m []string) (*logical.Response, error) {
	id, err := leaseIDFrom(req, m)
	if err != nil {
		return nil, err
	}
	var increment time.Duration
	if v, ok := req.Data["increment"]; ok {
		if increment, err = logical.ParseDuration(v); err != nil {
			return nil, logical.InvalidRequest("error converting input for field \"increment\": %v", err)
		}
	}
	return b.st.expiration.renewLease(ctx, id, increment)
}

func (b *sysBackend) leaseRevoke(ctx context.Context, req *logical.Request, m []string) (*logical.Response, error) {
	id, err := leaseIDFrom(req, m)
	if err != nil {
		return nil, err
	}
	return nil, b.st.expiration.revokeLease(ctx, id, false)
}

func (b *sysBackend) leaseRevokePrefix(force bool) sysHandler {
	return func(ctx context.Context, _ *logical.Request, m []string) (*logical.Response, error) {
		return nil, b.st.expiration.revokePrefix(ctx, m[1], force)
	}
}

// renewLease extends a secret lease through its engine, within the
// mount's max TTL.
func (x *expiration) renewLease(ctx context.Context, leaseID string, increment time.Duration) (*logical.Response, error) {
	unlock, err := x.lockLease(ctx, leaseID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rec := x.lookupLease(leaseID)
	if rec == nil {
		return nil, logical.InvalidRequest("lease not found")
	}
	x.mu.Lock()
	overdue := x.failures[rec.key()] > 0
	x.mu.Unlock()
	if overdue {
		// Expired, and its revocation failed and waits for a retry: it
		// must not come back to life.
		return nil, logical.InvalidRequest("lease expired")
	}
	if rec.Secret == nil || !rec.Secret.Renewable {
		return nil, logical.InvalidRequest("lease is not renewable")
	}
	rt, rel := x.st.router.match(rec.Path)
	if rt == nil {
		return nil, logical.InvalidRequest("lease not found")
	}
	sec := *rec.Secret
	sec.Increment = increment
	if increment > 0 {
		sec.TTL = increment
	}
	resp, err := rt.backend.HandleRequest(ctx, &logical.Request{
		ID: newUUID(), Operation: logical.RenewOperation, Path: rel, Secret: &sec,
		Storage: rt.view, MountPoint: rt.entry.routePath(), MountType: rt.entry.Type,
	})
	if errors.Is(err, logical.ErrUnsupportedOperation) {
		return nil, logical.InvalidRequest("lease is not renewable")
	}
	if err != nil {
		return nil, err
	}
	if resp == nil || resp.Secret == nil {
		resp = &logical.Response{Secret: &sec}
	}
	now := x.st.c.now()
	ttl := resp.Secret.TTL
	if limit := rec.IssueTime.Add(rt.system.MaxLeaseTTL()).Sub(now); ttl > limit {
		ttl = limit
	}
	resp.Secret.TTL, resp.Secret.LeaseID, resp.Secret.Increment = ttl, leaseID, 0
	updated := *rec
	updated.ExpireTime, updated.LastRenewal, updated.Secret = now.Add(ttl), now, resp.Secret
	if err := x.persist(ctx, &updated); err != nil {
		return nil, err
	}
	return resp, nil
}
