package core

import (
	"context"
	"net/http"
	"strings"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/auth/token"
	"github.com/vaultd/vaultd/logical"
)

// errInternal is what a client sees when the server fails in a way it
// must not describe, such as an audit device that cannot write.
var errInternal = logical.CodedErrorf(http.StatusInternalServerError, "internal error")

// HandleRequest runs one request through the pipeline. req.Path is the full
// path after /v1/. POST and PUT arrive as UpdateOperation; core decides
// between create and update. On return req.MountType, req.MountAccessor and
// req.MountPoint describe the mount that served the request.
func (c *Core) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	c.stateLock.RLock()
	defer c.stateLock.RUnlock()
	if c.state == nil {
		if c.ha != nil && c.ha.open {
			return nil, errNotActive
		}
		return nil, logical.ErrSealed
	}
	if c.ha != nil {
		if err := c.checkActive(); err != nil {
			return nil, err
		}
	}
	return c.state.handle(ctx, req)
}

// call is one request on its way through the pipeline.
type call struct {
	req    *logical.Request // as the client sent it, full path
	engReq *logical.Request // as the engine sees it, path relative to the mount
	rt     *route
	tok    *token.Entry
	unauth bool
	// wrapFirstParty: the client token is the wrapping token a
	// sys/wrapping request acts on; it needs no ACL and the handler spends
	// its use (see wrapping.go).
	wrapFirstParty bool
}

func (st *unsealed) handle(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	if req.ID == "" {
		req.ID = newUUID()
	}
	if err := validateRequestPath(req.Path); err != nil {
		return nil, err
	}
	rt, rel := st.router.match(req.Path)
	if rt == nil {
		return nil, st.unrouted(ctx, req)
	}
	req.MountType, req.MountAccessor, req.MountPoint = rt.entry.Type, rt.entry.Accessor, rt.entry.routePath()
	cl := &call{req: req, rt: rt, unauth: rt.unauth.match(rel) || anonymousUIListing(rt, rel, req)}
	cl.engReq = st.engineRequest(req, rt, rel)

	if err := st.checkWrappingToken(ctx, cl); err != nil {
		return st.refuse(ctx, cl, err)
	}
	if err := st.authenticate(ctx, cl); err != nil {
		return st.refuse(ctx, cl, err)
	}
	if err := st.decideCreate(ctx, cl); err != nil {
		return st.refuse(ctx, cl, err)
	}
	if err := st.authorize(ctx, cl); err != nil {
		return st.refuse(ctx, cl, err)
	}
	if err := st.countUse(ctx, cl); err != nil {
		return st.refuse(ctx, cl, err)
	}
	in := st.auditInput(cl)
	if err := st.audit.LogRequest(ctx, in); err != nil {
		st.c.sink().IncrCounter(metricAuditRequestFailure, 1)
		st.c.logger.Error("audit request failed; refusing the request", "request_id", req.ID, "error", err)
		return nil, errInternal
	}
	engCtx := ctx
	if cl.tok != nil {
		engCtx = token.ContextWithCaller(ctx, cl.tok)
	}
	resp, err := rt.backend.HandleRequest(engCtx, cl.engReq)
	if err == nil {
		resp, err = st.register(ctx, cl, resp)
	}
	if err == nil {
		resp, err = st.wrap(ctx, cl, resp, in)
	}
	in.Response, in.OuterErr, in.Time = resp, err, st.c.now()
	if aerr := st.audit.LogResponse(ctx, in); aerr != nil {
		st.c.sink().IncrCounter(metricAuditResponseFailure, 1)
		st.c.logger.Error("audit response failed; withholding the response", "request_id", req.ID, "error", aerr)
		return nil, errInternal
	}
	return resp, err
}

// refuse audits a request that was turned away before reaching its
// engine, then returns the refusal.
func (st *unsealed) refuse(ctx context.Context, cl *call, reason error) (*logical.Response, error) {
	in := st.auditInput(cl)
	in.OuterErr = reason
	if err := st.audit.LogRequest(ctx, in); err != nil {
		st.c.sink().IncrCounter(metricAuditRequestFailure, 1)
		return nil, errInternal
	}
	if err := st.audit.LogResponse(ctx, in); err != nil {
		st.c.sink().IncrCounter(metricAuditResponseFailure, 1)
		return nil, errInternal
	}
	return nil, reason
}

// maxRequestPathLength bounds a request path. Engines store entries under
// keys made from the path, and the storage engine limits keys (bbolt to
// 32 KiB): a longer path is refused as bad input before it reaches one.
const maxRequestPathLength = 8 << 10

// validateRequestPath refuses over-long paths and paths with empty, "."
// or ".." segments (a trailing slash is allowed: it asks for a listing).
func validateRequestPath(p string) error {
	if len(p) > maxRequestPathLength {
		return logical.InvalidRequest("path is too long: %d bytes, at most %d are allowed", len(p), maxRequestPathLength)
	}
	trimmed := strings.TrimSuffix(p, "/")
	if trimmed == "" {
		return logical.CodedErrorf(http.StatusNotFound, "no handler for route %q", p)
	}
	for _, seg := range strings.Split(trimmed, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return logical.InvalidRequest("invalid path %q: empty, '.' or '..' segment", p)
		}
	}
	return nil
}

func (st *unsealed) engineRequest(req *logical.Request, rt *route, rel string) *logical.Request {
	eng := *req
	eng.Path = rel
	eng.Storage = rt.view
	eng.MountPoint = rt.entry.routePath()
	eng.MountType = rt.entry.Type
	eng.MountAccessor = rt.entry.Accessor
	if eng.Data == nil {
		eng.Data = map[string]any{}
	}
	return &eng
}

// authenticate resolves the client token. Unauthenticated paths (logins)
// ignore any token they are sent; every other path needs a live token.
func (st *unsealed) authenticate(ctx context.Context, cl *call) error {
	cl.engReq.Unauthenticated = cl.unauth
	if cl.unauth {
		cl.engReq.ClientToken = ""
		return nil
	}
	if cl.req.ClientToken == "" {
		return logical.ErrPermissionDenied
	}
	te, err := st.tokens.Lookup(ctx, cl.req.ClientToken)
	if err != nil {
		return err
	}
	if te == nil {
		return logical.CodedErrorf(http.StatusForbidden, "permission denied")
	}
	if !te.AllowsAddr(cl.req.RemoteAddr) {
		return logical.ErrPermissionDenied
	}
	cl.tok = te
	e := cl.engReq
	e.ClientTokenAccessor, e.DisplayName, e.Policies, e.EntityID = te.Accessor, te.DisplayName, te.Policies, te.EntityID
	cl.req.ClientTokenAccessor = te.Accessor
	return nil
}

// decideCreate turns an update into a create when the engine says the
// target does not exist yet, so that the ACL can tell them apart.
func (st *unsealed) decideCreate(ctx context.Context, cl *call) error {
	if cl.engReq.Operation != logical.UpdateOperation {
		return nil
	}
	ok, exists, err := cl.rt.backend.ExistenceCheck(ctx, cl.engReq)
	if err != nil {
		return err
	}
	if ok && !exists {
		cl.engReq.Operation = logical.CreateOperation
		cl.req.Operation = logical.CreateOperation
	}
	return nil
}

// countUse spends one of a limited-use token's uses.
func (st *unsealed) countUse(ctx context.Context, cl *call) error {
	if cl.tok == nil || cl.tok.NumUses == 0 || cl.wrapFirstParty {
		return nil
	}
	te, err := st.tokens.UseToken(ctx, cl.tok)
	if err != nil {
		return err
	}
	if te == nil {
		return logical.ErrPermissionDenied
	}
	cl.tok = te
	return nil
}

func (st *unsealed) auditInput(cl *call) *audit.LogInput {
	in := &audit.LogInput{
		Time:                st.c.now(),
		Request:             cl.req,
		NonHMACReqDataKeys:  cl.rt.entry.Config.AuditNonHMACRequestKeys,
		NonHMACRespDataKeys: cl.rt.entry.Config.AuditNonHMACResponseKeys,
	}
	if cl.tok != nil {
		in.Auth = cl.tok.ToAuth()
	}
	return in
}

// register mints the token a login asked for and records leases.
func (st *unsealed) register(ctx context.Context, cl *call, resp *logical.Response) (*logical.Response, error) {
	if resp == nil {
		return nil, nil
	}
	// Only a login (an unauthenticated path of an auth mount) gets a token
	// minted for it. An authenticated auth path may answer an Auth without
	// a token on purpose: auth/token/renew-accessor hides the token it
	// renewed, and must not be handed a fresh one with its policies.
	if resp.Auth != nil && resp.Auth.ClientToken == "" && cl.rt.entry.Table == tableAuth && cl.unauth {
		if err := st.mintLoginToken(ctx, cl, resp.Auth); err != nil {
			return nil, err
		}
	}
	// sys/leases/renew answers with the lease it renewed, already
	// registered: it must not become a new lease.
	if resp.Secret != nil && cl.rt.entry.Type != typeSystem {
		if !leasesSecrets(cl.rt.entry) {
			// A KV read reports its refresh interval as the TTL but, as
			// in Vault, gets no lease: there is nothing to renew or revoke.
			resp.Secret.LeaseID = ""
			resp.Secret.Renewable = false
			return resp, nil
		}
		if err := st.expiration.registerSecret(ctx, cl, resp); err != nil {
			// Without a lease nothing would ever revoke the secret (a
			// database user, say): hand it back to the engine now.
			rec := &leaseRecord{Kind: kindSecret, Path: cl.req.Path, Secret: resp.Secret}
			if rerr := st.expiration.revokeWithEngine(context.WithoutCancel(ctx), rec); rerr != nil {
				st.c.logger.Error("revoking a secret whose lease could not be registered failed", "path", cl.req.Path, "error", rerr)
			}
			return nil, err
		}
	}
	return resp, nil
}

// leasesSecrets reports whether secrets returned by a mount's engine are
// registered as leases. KV mounts' are not (vaultd has no leased KV).
func leasesSecrets(e *MountEntry) bool {
	return e.Type != "kv" && e.Type != "generic"
}

// mintLoginToken applies the auth mount's TTL defaults and limits, then has
// the token store create the token.
func (st *unsealed) mintLoginToken(ctx context.Context, cl *call, auth *logical.Auth) error {
	if err := st.attachEntity(ctx, cl, auth); err != nil {
		return err
	}
	sys := cl.rt.system
	maxTTL := sys.MaxLeaseTTL()
	if auth.MaxTTL > 0 && auth.MaxTTL < maxTTL {
		maxTTL = auth.MaxTTL
	}
	auth.MaxTTL = maxTTL
	prefix := strings.TrimSuffix(strings.TrimPrefix(cl.rt.entry.routePath(), "auth/"), "/")
	if auth.DisplayName != "" {
		prefix += "-" + auth.DisplayName
	}
	auth.DisplayName = prefix
	if auth.Period == 0 {
		if auth.TTL == 0 {
			auth.TTL = sys.DefaultLeaseTTL()
		}
		if auth.TTL > maxTTL {
			auth.TTL = maxTTL
		}
	}
	if _, err := st.tokens.CreateFromAuth(ctx, cl.req.Path, auth); err != nil {
		return err
	}
	addIdentityPolicies(auth)
	return nil
}
