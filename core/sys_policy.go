package core

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/policy"
)

func (b *sysBackend) policyRoutes() []sysRoute {
	emptyName := func(context.Context, *logical.Request, []string) (*logical.Response, error) {
		return nil, logical.InvalidRequest("policy name cannot be empty")
	}
	caps := map[logical.Operation]sysHandler{logical.UpdateOperation: b.capabilities}
	return []sysRoute{
		sysPath(`policy/?`, map[logical.Operation]sysHandler{
			logical.ReadOperation: b.policyListLegacy, logical.ListOperation: b.policyListLegacy,
			logical.UpdateOperation: emptyName,
		}),
		sysPath(`policy/(.+)`, map[logical.Operation]sysHandler{
			logical.ReadOperation: b.policyRead("rules"), logical.UpdateOperation: b.policyWrite("rules"),
			logical.DeleteOperation: b.policyDelete,
		}),
		sysPath(`policies/acl/?`, map[logical.Operation]sysHandler{
			logical.ListOperation: b.policyList, logical.UpdateOperation: emptyName,
		}),
		sysPath(`policies/acl/(.+)`, map[logical.Operation]sysHandler{
			logical.ReadOperation: b.policyRead("policy"), logical.UpdateOperation: b.policyWrite("policy"),
			logical.DeleteOperation: b.policyDelete,
		}),
		sysPath(`capabilities(-self|-accessor)?`, caps),
		sysPath(`internal/ui/resultant-acl`, map[logical.Operation]sysHandler{logical.ReadOperation: b.resultantACL}),
	}
}

func (b *sysBackend) policyList(ctx context.Context, _ *logical.Request, _ []string) (*logical.Response, error) {
	names, err := b.st.policies.list(ctx)
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: map[string]any{"keys": names}}, nil
}

func (b *sysBackend) policyListLegacy(ctx context.Context, _ *logical.Request, _ []string) (*logical.Response, error) {
	names, err := b.st.policies.list(ctx)
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: map[string]any{"keys": names, "policies": names}}, nil
}

// policyRead answers with the policy text under field ("rules" for the
// legacy endpoint, "policy" for sys/policies/acl).
func (b *sysBackend) policyRead(field string) sysHandler {
	return func(ctx context.Context, _ *logical.Request, m []string) (*logical.Response, error) {
		name := strings.ToLower(m[1])
		if name == policy.Root {
			return &logical.Response{Data: map[string]any{"name": name, field: ""}}, nil
		}
		p, err := b.st.policies.get(ctx, name)
		if err != nil || p == nil {
			return nil, err
		}
		return &logical.Response{Data: map[string]any{"name": name, field: p.Raw()}}, nil
	}
}

// policyWrite stores the policy text from field; the legacy endpoint
// takes "policy" too, as Vault's does.
func (b *sysBackend) policyWrite(field string) sysHandler {
	return func(ctx context.Context, req *logical.Request, m []string) (*logical.Response, error) {
		raw, ok := req.Data[field]
		if !ok {
			raw, ok = req.Data["policy"]
		}
		if !ok {
			return nil, logical.InvalidRequest("'%s' parameter not supplied or empty", field)
		}
		text, err := logical.ParseString(raw)
		if err != nil || strings.TrimSpace(text) == "" {
			return nil, logical.InvalidRequest("'%s' parameter not supplied or empty", field)
		}
		// As in Vault, the text may come base64-encoded. Policy text
		// (HCL or JSON) always holds characters outside the base64
		// alphabet, so it is never mistaken for an encoding.
		if dec, err := base64.StdEncoding.DecodeString(text); err == nil {
			text = string(dec)
		}
		return nil, b.st.policies.put(ctx, m[1], text)
	}
}

func (b *sysBackend) policyDelete(ctx context.Context, _ *logical.Request, m []string) (*logical.Response, error) {
	return nil, b.st.policies.delete(ctx, m[1])
}

// capabilities answers sys/capabilities, -self and -accessor: the
// capabilities of a token on each of "paths" (or the single "path").
func (b *sysBackend) capabilities(ctx context.Context, req *logical.Request, m []string) (*logical.Response, error) {
	fd, err := fields(req, map[string]*logical.FieldSchema{
		"token": {Type: logical.TypeString}, "accessor": {Type: logical.TypeString},
		"path": {Type: logical.TypeStringList}, "paths": {Type: logical.TypeStringList},
	})
	if err != nil {
		return nil, err
	}
	paths := append(fd.Get("paths").([]string), fd.Get("path").([]string)...)
	if len(paths) == 0 {
		return nil, logical.InvalidRequest("missing paths")
	}
	var names []string
	switch m[1] {
	case "-self":
		te, err := b.st.tokens.Lookup(ctx, req.ClientToken)
		if err != nil || te == nil {
			return nil, logical.ErrPermissionDenied
		}
		names = te.Policies
	case "-accessor":
		te, err := b.st.tokens.LookupAccessor(ctx, fd.Get("accessor").(string))
		if err != nil || te == nil {
			return nil, logical.InvalidRequest("invalid accessor")
		}
		names = te.Policies
	default:
		te, err := b.st.tokens.Lookup(ctx, fd.Get("token").(string))
		if err != nil || te == nil {
			return nil, logical.InvalidRequest("invalid token")
		}
		names = te.Policies
	}
	acl, err := b.st.policies.acl(ctx, names)
	if err != nil {
		return nil, err
	}
	data := map[string]any{}
	for _, p := range paths {
		data[p] = acl.Capabilities(p)
	}
	if len(paths) == 1 {
		data["capabilities"] = data[paths[0]]
	}
	return &logical.Response{Data: data}, nil
}

func (b *sysBackend) resultantACL(ctx context.Context, req *logical.Request, _ []string) (*logical.Response, error) {
	acl, err := b.st.callerACL(ctx, req)
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: acl.ResultantACL()}, nil
}
