package core

import (
	"context"
	"net/http"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/policy"
)

// unrouted answers a request for a path no mount serves. As in Vault and
// OpenBao, the caller's token is checked first: a caller without a valid
// token, or whose policies grant nothing for the operation on that path,
// is told "permission denied", so that an unprivileged token cannot probe
// which mounts exist. Only a caller that could reach the path learns that
// nothing is mounted there.
func (st *unsealed) unrouted(ctx context.Context, req *logical.Request) error {
	if req.ClientToken == "" {
		return logical.ErrPermissionDenied
	}
	te, err := st.tokens.Lookup(ctx, req.ClientToken)
	if err != nil {
		return err
	}
	if te == nil || !te.AllowsAddr(req.RemoteAddr) {
		return logical.ErrPermissionDenied
	}
	acl, err := st.policies.acl(ctx, te.Policies)
	if err != nil {
		return err
	}
	res := acl.Allowed(policy.Request{
		Path:      req.Path,
		Operation: string(req.Operation),
		Data:      req.Data,
		WrapTTL:   req.WrapTTL,
	})
	if !res.Allowed {
		return logical.ErrPermissionDenied
	}
	return logical.CodedErrorf(http.StatusNotFound, "no handler for route %q. route entry not found.", req.Path)
}
