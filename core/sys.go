package core

import (
	"context"
	"regexp"
	"strings"

	"github.com/vaultd/vaultd/logical"
)

// sysHandler serves one operation on one sys/ path. match holds the
// regexp's submatches.
type sysHandler func(ctx context.Context, req *logical.Request, match []string) (*logical.Response, error)

// sysRoute is one sys/ path pattern and its handlers by operation.
type sysRoute struct {
	pattern  *regexp.Regexp
	handlers map[logical.Operation]sysHandler
	// exists, when set, tells create from update for the ACL.
	exists func(ctx context.Context, req *logical.Request, match []string) (bool, error)
}

// sysBackend is the sys/ mount: control of mounts, policies, leases, audit
// devices and the keyring. It lives in core because it manages core.
type sysBackend struct {
	st      *unsealed
	routes  []sysRoute
	rotator *rotator
	quotas  *quotaManager
}

func newSysBackend(st *unsealed) *sysBackend {
	b := &sysBackend{st: st}
	b.routes = append(b.routes, b.mountRoutes()...)
	b.routes = append(b.routes, b.policyRoutes()...)
	b.routes = append(b.routes, b.leaseRoutes()...)
	b.routes = append(b.routes, b.auditRoutes()...)
	b.routes = append(b.routes, b.miscRoutes()...)
	b.routes = append(b.routes, b.haRoutes()...)
	b.routes = append(b.routes, b.wrappingRoutes()...)
	b.routes = append(b.routes, b.operatorRoutes()...)
	b.rotator = st.startRotator()
	b.quotas = newQuotaManager(st)
	return b
}

// sysPath builds a sysRoute from a pattern, anchored at both ends.
func sysPath(pattern string, handlers map[logical.Operation]sysHandler) sysRoute {
	return sysRoute{pattern: regexp.MustCompile("^" + pattern + "$"), handlers: handlers}
}

// SpecialPaths are Vault's sudo-protected sys/ paths.
func (b *sysBackend) SpecialPaths() logical.SpecialPaths {
	return logical.SpecialPaths{
		Root: []string{
			"auth/*", "remount", "audit", "audit/*", "raw", "raw/*", "rotate", "rotate/*",
			"config/cors", "config/auditing/*", "revoke-prefix/*", "revoke-force/*",
			"leases/revoke-prefix/*", "leases/revoke-force/*", "leases/lookup/*", "leases",
			"seal", "step-down", "storage/raft/snapshot", "storage/raft/snapshot-force",
		},
		Unauthenticated: haUnauthenticated,
	}
}

func (b *sysBackend) find(path string) (*sysRoute, []string) {
	for i := range b.routes {
		if m := b.routes[i].pattern.FindStringSubmatch(path); m != nil {
			return &b.routes[i], m
		}
	}
	return nil, nil
}

// HandleRequest dispatches by path pattern and operation. A create is
// served by the update handler unless the route has its own.
func (b *sysBackend) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	rt, match := b.find(req.Path)
	if rt == nil {
		return nil, logical.CodedErrorf(404, "unsupported path")
	}
	h, ok := rt.handlers[req.Operation]
	if !ok && req.Operation == logical.CreateOperation {
		h, ok = rt.handlers[logical.UpdateOperation]
	}
	if !ok {
		return nil, logical.ErrUnsupportedOperation
	}
	return h(ctx, req, match)
}

// ExistenceCheck lets routes with an exists function tell create from
// update; all other sys/ writes are updates.
func (b *sysBackend) ExistenceCheck(ctx context.Context, req *logical.Request) (bool, bool, error) {
	rt, match := b.find(req.Path)
	if rt == nil || rt.exists == nil {
		return false, false, nil
	}
	exists, err := rt.exists(ctx, req, match)
	return true, exists, err
}

// fields decodes request data against a schema, failing with a 400 that
// names the first bad field.
func fields(req *logical.Request, schema map[string]*logical.FieldSchema) (*logical.FieldData, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: schema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	return fd, nil
}

// trimSlashes strips the slashes around a path taken from a URL.
func trimSlashes(p string) string { return strings.Trim(p, "/") }
