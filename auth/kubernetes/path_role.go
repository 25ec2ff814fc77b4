package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vaultd/vaultd/auth/authutil"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

var roleSchema = tokenutil.AddLegacyFields(tokenutil.AddTokenFields(map[string]*logical.FieldSchema{
	"bound_service_account_names":              {Type: logical.TypeStringList},
	"bound_service_account_namespaces":         {Type: logical.TypeStringList},
	"bound_service_account_namespace_selector": {Type: logical.TypeString},
	"audience":          {Type: logical.TypeString},
	"alias_name_source": {Type: logical.TypeString, Default: aliasSourceUID},
}))

func (b *Backend) listRoles(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	return authutil.List(ctx, req.Storage, rolePrefix, "kubernetes auth: list roles")
}

func (b *Backend) deleteRole(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	if err := req.Storage.Delete(ctx, roleKey(name)); err != nil {
		return nil, fmt.Errorf("kubernetes auth: delete role: %w", err)
	}
	return nil, nil
}

func (b *Backend) readRole(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	r, err := loadRole(ctx, req.Storage, name)
	if err != nil || r == nil {
		return nil, err
	}
	return &logical.Response{Data: r.data()}, nil
}

// data is the role as a read reports it: every token_* field, and a legacy
// field only when the role was written with it.
func (r *role) data() map[string]any {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	d := map[string]any{
		"bound_service_account_names":              nonNil(r.BoundServiceAccountNames),
		"bound_service_account_namespaces":         nonNil(r.BoundServiceAccountNamespaces),
		"bound_service_account_namespace_selector": r.BoundServiceAccountNamespaceSelector,
		"alias_name_source":                        r.AliasNameSource,
	}
	if r.Audience != "" {
		d["audience"] = r.Audience
	}
	r.PopulateTokenData(d)
	r.PopulateLegacyData(d, &r.TokenParams)
	if len(r.Policies) == 0 {
		// Unlike jwt, Vault's kubernetes method reports the legacy
		// "policies" only for a role written with it.
		delete(d, "policies")
	}
	return d
}

// writeRole creates or updates a role. On update, fields left out keep
// their values. Nothing is written unless every field is valid.
func (b *Backend) writeRole(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: roleSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	r, err := loadRole(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	creating := r == nil
	if creating {
		r = &role{}
	}
	if err := r.ParseTokenFields(fd); err != nil {
		return nil, err
	}
	// A legacy ttl above max_ttl is refused by CheckTokenFields, in the
	// kubernetes method's wording.
	if err := r.Upgrade(fd, &r.TokenParams, ""); err != nil {
		return nil, err
	}
	warnings, err := r.CheckTokenFields(b.system.MaxLeaseTTL())
	if err != nil {
		return nil, err
	}
	if err := r.applyBindings(fd, creating); err != nil {
		return nil, err
	}
	if v, ok, _ := fd.GetOk("audience"); ok {
		r.Audience = strings.TrimSpace(v.(string))
	}
	if r.Audience == "" {
		warnings = append(warnings, "This role does not specify an audience. In a future version of Vault, specifying an audience will be required.")
	}
	if v, ok, _ := fd.GetOk("alias_name_source"); ok || r.AliasNameSource == "" {
		r.AliasNameSource = v.(string)
		if r.AliasNameSource == "" {
			r.AliasNameSource = aliasSourceUID
		}
	}
	if r.AliasNameSource != aliasSourceUID && r.AliasNameSource != aliasSourceName {
		return nil, logical.InvalidRequest("invalid alias_name_source, must be one of: %s, %s", aliasSourceUID, aliasSourceName)
	}
	value, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("kubernetes auth: encode role: %w", err)
	}
	if err := req.Storage.Put(ctx, &logical.StorageEntry{Key: roleKey(name), Value: value}); err != nil {
		return nil, fmt.Errorf("kubernetes auth: write role: %w", err)
	}
	if len(warnings) == 0 {
		return nil, nil
	}
	return &logical.Response{Warnings: warnings}, nil
}

// applyBindings reads the service account and namespace bindings and
// checks that the role binds something.
func (r *role) applyBindings(fd *logical.FieldData, creating bool) error {
	if v, ok, _ := fd.GetOk("bound_service_account_names"); ok || creating {
		r.BoundServiceAccountNames = v.([]string)
	}
	if len(r.BoundServiceAccountNames) == 0 {
		return logical.InvalidRequest("%q can not be empty", "bound_service_account_names")
	}
	if len(r.BoundServiceAccountNames) > 1 && slices.Contains(r.BoundServiceAccountNames, "*") {
		return logical.InvalidRequest("can not mix %q with values", "*")
	}
	if v, ok, _ := fd.GetOk("bound_service_account_namespaces"); ok {
		r.BoundServiceAccountNamespaces = v.([]string)
	}
	if v, ok, _ := fd.GetOk("bound_service_account_namespace_selector"); ok {
		r.BoundServiceAccountNamespaceSelector = strings.TrimSpace(v.(string))
	}
	if len(r.BoundServiceAccountNamespaces) == 0 && r.BoundServiceAccountNamespaceSelector == "" {
		return logical.InvalidRequest("%q can not be empty if %q is not set",
			"bound_service_account_namespaces", "bound_service_account_namespace_selector")
	}
	if r.BoundServiceAccountNamespaceSelector != "" {
		if _, err := parseNamespaceSelector(r.BoundServiceAccountNamespaceSelector); err != nil {
			return logical.InvalidRequest("invalid %q configured: %v", "bound_service_account_namespace_selector", err)
		}
	}
	if len(r.BoundServiceAccountNamespaces) > 1 && slices.Contains(r.BoundServiceAccountNamespaces, "*") {
		return logical.InvalidRequest("can not mix %q with values", "*")
	}
	return nil
}
