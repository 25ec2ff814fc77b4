package token

import (
	"context"
	"crypto/subtle"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/vaultd/vaultd/logical"
)

// handler serves one endpoint; name is the role name of create/<role> and
// roles/<name>.
type handler func(ctx context.Context, req *logical.Request, d *logical.FieldData, name string) (*logical.Response, error)

// route is one endpoint: its fields and its handler for each operation.
type route struct {
	schema map[string]*logical.FieldSchema
	ops    map[logical.Operation]handler
}

// backend serves auth/token/*.
type backend struct {
	s      *Store
	fixed  map[string]*route
	create *route // create/<role>
	role   *route // roles/<name>
	// roleName matches a valid role name, as Vault's GenericNameRegex.
	roleName *regexp.Regexp
}

// Backend returns the auth/token/* endpoints. Paths are relative to the
// mount, as Vault's: create, create-orphan, create/<role>, lookup,
// lookup-self, lookup-accessor, renew, renew-self, renew-accessor, revoke,
// revoke-self, revoke-accessor, revoke-orphan, roles (LIST), roles/<name>
// and accessors (LIST, sudo). The endpoints read and write the store's own
// view, not req.Storage.
func (s *Store) Backend() logical.Backend {
	b := &backend{s: s, roleName: regexp.MustCompile(`^\w(?:[\w.-]*\w)?$`)}
	b.routes()
	return b
}

// callerKey carries the request's token entry in a context.
type callerKey struct{}

// ContextWithCaller returns ctx carrying the entry of the request's token,
// as core's Lookup or UseToken returned it. The endpoints then take it for
// the caller instead of looking req.ClientToken up again; that is what lets
// a token's last use (already revoked by UseToken) still answer
// lookup-self. The entry is used only if its ID is req.ClientToken.
func ContextWithCaller(ctx context.Context, e *Entry) context.Context {
	return context.WithValue(ctx, callerKey{}, e)
}

func (b *backend) routes() {
	write := func(h handler) map[logical.Operation]handler {
		return map[logical.Operation]handler{logical.UpdateOperation: h}
	}
	tokenField := map[string]*logical.FieldSchema{"token": {Type: logical.TypeString}}
	accessorField := map[string]*logical.FieldSchema{"accessor": {Type: logical.TypeString}}
	renewFields := func(key string) map[string]*logical.FieldSchema {
		return map[string]*logical.FieldSchema{
			key:         {Type: logical.TypeString},
			"increment": {Type: logical.TypeDuration},
		}
	}
	lookup := map[logical.Operation]handler{logical.ReadOperation: b.handleLookup, logical.UpdateOperation: b.handleLookup}
	lookupSelf := map[logical.Operation]handler{logical.ReadOperation: b.handleLookupSelf, logical.UpdateOperation: b.handleLookupSelf}
	list := func(h handler) map[logical.Operation]handler {
		return map[logical.Operation]handler{logical.ListOperation: h}
	}
	b.fixed = map[string]*route{
		"create":          {createSchema(), write(b.handleCreate)},
		"create-orphan":   {createSchema(), write(b.handleCreateOrphan)},
		"lookup":          {tokenField, lookup},
		"lookup-self":     {tokenField, lookupSelf},
		"lookup-accessor": {accessorField, write(b.handleLookupAccessor)},
		"renew":           {renewFields("token"), write(b.handleRenew)},
		"renew-self":      {renewFields("token"), write(b.handleRenewSelf)},
		"renew-accessor":  {renewFields("accessor"), write(b.handleRenewAccessor)},
		"revoke":          {tokenField, write(b.handleRevoke)},
		"revoke-self":     {tokenField, write(b.handleRevokeSelf)},
		"revoke-accessor": {accessorField, write(b.handleRevokeAccessor)},
		"revoke-orphan":   {tokenField, write(b.handleRevokeOrphan)},
		"roles":           {nil, list(b.handleRoleList)},
		"accessors":       {nil, list(b.handleAccessorList)},
	}
	b.create = &route{createSchema(), write(b.handleCreateRole)}
	b.role = &route{roleSchema(), map[logical.Operation]handler{
		logical.ReadOperation:   b.handleRoleRead,
		logical.UpdateOperation: b.handleRoleWrite,
		logical.DeleteOperation: b.handleRoleDelete,
	}}
}

// match finds the route of a path and the role name it names.
func (b *backend) match(path string) (*route, string, error) {
	if r, ok := b.fixed[path]; ok {
		return r, "", nil
	}
	switch path {
	case "roles/", "accessors/":
		return b.fixed[strings.TrimSuffix(path, "/")], "", nil
	}
	r, name := b.create, ""
	if n, ok := strings.CutPrefix(path, "create/"); ok {
		name = n
	} else if n, ok := strings.CutPrefix(path, "roles/"); ok {
		r, name = b.role, n
	} else {
		return nil, "", logical.ErrUnsupportedPath
	}
	if !b.roleName.MatchString(name) {
		return nil, "", logical.ErrUnsupportedPath
	}
	return r, name, nil
}

// HandleRequest implements logical.Backend.
func (b *backend) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	r, name, err := b.match(req.Path)
	if err != nil {
		return nil, err
	}
	op := req.Operation
	if op == logical.CreateOperation {
		op = logical.UpdateOperation
	}
	h, ok := r.ops[op]
	if !ok {
		return nil, logical.ErrUnsupportedOperation
	}
	d, warnings, err := decode(req, r.schema)
	if err != nil {
		return nil, err
	}
	resp, err := h(ctx, req, d, name)
	if err != nil || len(warnings) == 0 {
		return resp, err
	}
	if resp == nil {
		resp = &logical.Response{}
	}
	resp.Warnings = append(resp.Warnings, warnings...)
	return resp, nil
}

// decode checks the request data against the schema; a field that cannot
// be read as its type is a 400 naming it. Unknown fields are ignored with a
// warning, as Vault does.
func decode(req *logical.Request, schema map[string]*logical.FieldSchema) (*logical.FieldData, []string, error) {
	raw := req.Data
	if raw == nil {
		raw = map[string]any{}
	}
	d := &logical.FieldData{Raw: raw, Schema: schema}
	if err := d.Validate(); err != nil {
		return nil, nil, err
	}
	var unknown []string
	for k := range raw {
		if _, ok := schema[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 || req.Operation == logical.ReadOperation || req.Operation == logical.ListOperation {
		return d, nil, nil
	}
	sort.Strings(unknown)
	return d, []string{fmt.Sprintf("Endpoint ignored these unrecognized parameters: %v", unknown)}, nil
}

// ExistenceCheck implements logical.Backend: only roles/<name>
// distinguishes create from update.
func (b *backend) ExistenceCheck(ctx context.Context, req *logical.Request) (bool, bool, error) {
	r, name, err := b.match(req.Path)
	if err != nil || r != b.role {
		return false, false, nil
	}
	role, err := b.readRole(ctx, name)
	if err != nil {
		return true, false, err
	}
	return true, role != nil, nil
}

// SpecialPaths implements logical.Backend: listing accessors needs sudo.
func (b *backend) SpecialPaths() logical.SpecialPaths {
	return logical.SpecialPaths{Root: []string{"accessors*"}}
}

// caller returns the entry of the request's token, or nil.
func (b *backend) caller(ctx context.Context, req *logical.Request) (*Entry, error) {
	if e, ok := ctx.Value(callerKey{}).(*Entry); ok && e != nil && e.ID != "" &&
		subtle.ConstantTimeCompare([]byte(e.ID), []byte(req.ClientToken)) == 1 {
		return e, nil
	}
	return b.s.Lookup(ctx, req.ClientToken)
}

// lookupToken resolves a token named in the body; the caller's own token is
// resolved through caller so that ContextWithCaller applies.
func (b *backend) lookupToken(ctx context.Context, req *logical.Request, id string) (*Entry, error) {
	if id == req.ClientToken {
		return b.caller(ctx, req)
	}
	return b.s.Lookup(ctx, id)
}

// isSudo reports whether the caller has root or sudo on the request path.
func (b *backend) isSudo(ctx context.Context, caller *Entry, req *logical.Request) bool {
	if caller.IsRoot() {
		return true
	}
	if sc, ok := b.s.getHooks().(SudoChecker); ok {
		return sc.HasSudo(ctx, caller, req.MountPoint+req.Path)
	}
	return false
}
