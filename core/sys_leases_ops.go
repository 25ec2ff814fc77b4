package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/vaultd/vaultd/logical"
)

func (b *sysBackend) leaseOpsRoutes() []sysRoute {
	return []sysRoute{
		sysPath(`leases/count`, map[logical.Operation]sysHandler{logical.ReadOperation: b.leaseCount}),
		sysPath(`leases/tidy`, map[logical.Operation]sysHandler{logical.UpdateOperation: b.leaseTidy}),
	}
}

// leaseCount answers how many secret leases there are, in all
// ("lease_count") and by mount ("counts"). Vault's type=irrevocable asks
// for leases whose revocation failed for good; vaultd keeps retrying such
// leases instead, so it has none.
func (b *sysBackend) leaseCount(_ context.Context, req *logical.Request, _ []string) (*logical.Response, error) {
	fd, err := fields(req, map[string]*logical.FieldSchema{"type": {Type: logical.TypeString}})
	if err != nil {
		return nil, err
	}
	switch fd.Get("type").(string) {
	case "":
	case "irrevocable":
		return &logical.Response{Data: map[string]any{"lease_count": 0, "counts": map[string]any{}}}, nil
	default:
		return nil, logical.InvalidRequest("invalid lease type; only \"irrevocable\" is supported")
	}
	total, byMount := b.st.expiration.countLeases()
	counts := make(map[string]any, len(byMount))
	for k, v := range byMount {
		counts[k] = v
	}
	return &logical.Response{Data: map[string]any{"lease_count": total, "counts": counts}}, nil
}

// countLeases counts secret leases, by the mount that issued them.
func (x *expiration) countLeases() (int, map[string]int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	total, byMount := 0, map[string]int{}
	for _, rec := range x.records {
		if rec.Kind != kindSecret {
			continue
		}
		total++
		mount := "unknown"
		if rt, _ := x.st.router.match(rec.Path); rt != nil {
			mount = rt.entry.routePath()
		}
		byMount[mount]++
	}
	return total, byMount
}

// leaseTidy cleans the lease index as Vault's tidy does: a secret lease
// whose token is gone is revoked, and an index entry whose token or
// mount is gone (so nothing could ever revoke it) is dropped. Vault runs it
// in the background and answers 202; vaultd's index is in memory, so the
// work is done before the answer, which keeps Vault's 202 and warning.
func (b *sysBackend) leaseTidy(ctx context.Context, _ *logical.Request, _ []string) (*logical.Response, error) {
	revoked, dropped, err := b.st.expiration.tidy(ctx)
	if err != nil {
		return nil, err
	}
	b.st.c.logger.Info("lease tidy finished", "revoked", revoked, "dropped", dropped)
	resp := &logical.Response{StatusCode: http.StatusAccepted, Data: map[string]any{}}
	resp.AddWarning("Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs.")
	return resp, nil
}

func (x *expiration) tidy(ctx context.Context) (revoked, dropped int, err error) {
	type item struct {
		key, accessor, leaseID, path, kind string
	}
	var items []item
	x.mu.Lock()
	for k, rec := range x.records {
		items = append(items, item{k, rec.TokenAccessor, rec.LeaseID, rec.Path, rec.Kind})
	}
	x.mu.Unlock()
	var errs []error
	for _, it := range items {
		tokenGone := false
		if it.accessor != "" {
			te, lerr := x.st.tokens.LookupAccessor(ctx, it.accessor)
			if lerr != nil && logical.StatusOf(lerr) >= 500 {
				errs = append(errs, lerr)
				continue
			}
			tokenGone = te == nil
		}
		rt, _ := x.st.router.match(it.path)
		switch {
		case it.kind == kindSecret && tokenGone && rt != nil:
			if rerr := x.revokeLease(ctx, it.leaseID, false); rerr != nil {
				errs = append(errs, rerr)
				continue
			}
			revoked++
		case tokenGone || (it.kind == kindSecret && rt == nil):
			x.forget(it.key)
			if derr := x.view.Delete(ctx, it.key); derr != nil {
				errs = append(errs, fmt.Errorf("delete lease: %w", derr))
				continue
			}
			dropped++
		}
	}
	return revoked, dropped, errors.Join(errs...)
}
