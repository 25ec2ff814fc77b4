package core

import (
	"context"
	"strings"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/policy"
)

// authorize checks the caller's ACL for the request's operation on its
// full path; root-protected paths need sudo as well. A refusal says only
// "permission denied", never whether the path exists.
func (st *unsealed) authorize(ctx context.Context, cl *call) error {
	if cl.unauth || tokenOnlyPath(cl) || cl.wrapFirstParty {
		return nil
	}
	acl, err := st.tokenACL(ctx, cl.tok)
	if err != nil {
		return err
	}
	rel := cl.engReq.Path
	res := acl.Allowed(policy.Request{
		Path:         cl.req.Path,
		Operation:    string(cl.engReq.Operation),
		Data:         cl.req.Data,
		WrapTTL:      cl.req.WrapTTL,
		SudoRequired: cl.rt.root.match(rel),
	})
	if !res.Allowed {
		st.c.logger.Debug("request denied by policy", "request_id", cl.req.ID, "reason", res.Reason)
		return logical.ErrPermissionDenied
	}
	return nil
}

// tokenOnlyPath names the sys/ paths any valid token may call, as Vault
// serves them without an ACL check: they only describe what the token
// itself may do.
func tokenOnlyPath(cl *call) bool {
	if cl.rt.entry.Type != typeSystem {
		return false
	}
	p := cl.engReq.Path
	return strings.HasPrefix(p, "internal/ui/mounts") || p == "internal/ui/resultant-acl"
}

// anonymousUIListing reports a request without a token for the list of
// sys/internal/ui/mounts. Vault serves it unauthenticated, listing only
// the mounts tuned to listing_visibility "unauth" (what a login page shows
// before the user has a token); with a token it is an ordinary request.
func anonymousUIListing(rt *route, rel string, req *logical.Request) bool {
	return rt.entry.Type == typeSystem && req.ClientToken == "" &&
		strings.TrimSuffix(rel, "/") == "internal/ui/mounts" && req.Operation == logical.ReadOperation
}

// canSee reports whether the caller's policies grant anything under a
// mount, which is what lets a token see it in sys/internal/ui/mounts.
func (st *unsealed) canSee(ctx context.Context, req *logical.Request, e *MountEntry) bool {
	acl, err := st.callerACL(ctx, req)
	if err != nil || acl == nil {
		return false
	}
	return acl.HasMountAccess(e.routePath())
}

// callerACL compiles the ACL of the token that made req.
func (st *unsealed) callerACL(ctx context.Context, req *logical.Request) (*policy.ACL, error) {
	if req.ClientToken == "" {
		return nil, logical.ErrPermissionDenied
	}
	te, err := st.tokens.Lookup(ctx, req.ClientToken)
	if err != nil {
		return nil, err
	}
	if te == nil {
		return nil, logical.ErrPermissionDenied
	}
	return st.tokenACL(ctx, te)
}
