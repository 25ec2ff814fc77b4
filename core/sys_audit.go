package core

import (
	"context"
	"strings"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/logical"
)

func (b *sysBackend) auditRoutes() []sysRoute {
	return []sysRoute{
		sysPath(`audit/?`, map[logical.Operation]sysHandler{logical.ReadOperation: b.auditList}),
		sysPath(`audit/(.+)`, map[logical.Operation]sysHandler{
			logical.UpdateOperation: b.auditEnable,
			logical.DeleteOperation: b.auditDisable,
		}),
		sysPath(`audit-hash/(.+)`, map[logical.Operation]sysHandler{logical.UpdateOperation: b.auditHash}),
	}
}

func (b *sysBackend) auditList(context.Context, *logical.Request, []string) (*logical.Response, error) {
	return &logical.Response{Data: b.st.auditListing()}, nil
}

// auditPath normalises a device path to its table form, "file/".
func auditPath(raw string) string { return strings.Trim(raw, "/") + "/" }

func (b *sysBackend) auditEnable(ctx context.Context, req *logical.Request, m []string) (*logical.Response, error) {
	fd, err := fields(req, map[string]*logical.FieldSchema{
		"type":        {Type: logical.TypeString},
		"description": {Type: logical.TypeString},
		"local":       {Type: logical.TypeBool},
		"options":     {Type: logical.TypeStringMap},
	})
	if err != nil {
		return nil, err
	}
	typ := fd.Get("type").(string)
	if typ == "" {
		return nil, logical.InvalidRequest("missing audit device type")
	}
	if _, ok := b.st.c.conf.AuditDevices[typ]; !ok {
		return nil, logical.InvalidRequest("unknown backend type: %q", typ)
	}
	dc := audit.DeviceConfig{
		Type: typ, Path: auditPath(m[1]), Description: fd.Get("description").(string),
		Local: fd.Get("local").(bool), Options: fd.Get("options").(map[string]string),
	}
	return nil, b.st.enableAudit(ctx, dc)
}

func (b *sysBackend) auditDisable(ctx context.Context, _ *logical.Request, m []string) (*logical.Response, error) {
	return nil, b.st.disableAudit(ctx, auditPath(m[1]))
}

func (b *sysBackend) auditHash(ctx context.Context, req *logical.Request, m []string) (*logical.Response, error) {
	fd, err := fields(req, map[string]*logical.FieldSchema{"input": {Type: logical.TypeString}})
	if err != nil {
		return nil, err
	}
	path := auditPath(m[1])
	if !b.st.audit.IsRegistered(path) {
		return nil, logical.InvalidRequest("unknown audit backend %q", path)
	}
	hash, err := b.st.audit.Hash(ctx, path, fd.Get("input").(string))
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: map[string]any{"hash": hash}}, nil
}
