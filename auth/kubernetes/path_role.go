package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

var roleSchema = map[string]*logical.FieldSchema{
	"bound_service_account_names":              {Type: logical.TypeStringList},
	"bound_service_account_namespaces":         {Type: logical.TypeStringList},
	"bound_service_account_namespace_selector": {Type: logical.TypeString},
	"audience":                {Type: logical.TypeString},
	"alias_name_source":       {Type: logical.TypeString, Default: aliasSourceUID},
	"token_policies":          {Type: logical.TypeStringList},
	"token_ttl":               {Type: logical.TypeDuration},
	"token_max_ttl":           {Type: logical.TypeDuration},
	"token_explicit_max_ttl":  {Type: logical.TypeDuration},
	"token_period":            {Type: logical.TypeDuration},
	"token_bound_cidrs":       {Type: logical.TypeStringList},
	"token_no_default_policy": {Type: logical.TypeBool},
	"token_num_uses":          {Type: logical.TypeInt},
	"token_type":              {Type: logical.TypeString},
	"policies":                {Type: logical.TypeStringList},
	"ttl":                     {Type: logical.TypeDuration},
	"max_ttl":                 {Type: logical.TypeDuration},
	"period":                  {Type: logical.TypeDuration},
	"num_uses":                {Type: logical.TypeInt},
	"bound_cidrs":             {Type: logical.TypeStringList},
}

func (b *Backend) listRoles(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	keys, err := req.Storage.List(ctx, rolePrefix)
	if err != nil {
		return nil, fmt.Errorf("kubernetes auth: list roles: %w", err)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	return &logical.Response{Data: map[string]any{"keys": keys}}, nil
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
	secs := func(d time.Duration) int64 { return int64(d / time.Second) }
	tokenType := r.TokenType
	if tokenType == "" {
		tokenType = "default"
	}
	d := map[string]any{
		"bound_service_account_names":              nonNil(r.BoundServiceAccountNames),
		"bound_service_account_namespaces":         nonNil(r.BoundServiceAccountNamespaces),
		"bound_service_account_namespace_selector": r.BoundServiceAccountNamespaceSelector,
		"alias_name_source":                        r.AliasNameSource,
		"token_policies":                           nonNil(r.TokenPolicies),
		"token_ttl":                                secs(r.TokenTTL),
		"token_max_ttl":                            secs(r.TokenMaxTTL),
		"token_explicit_max_ttl":                   secs(r.TokenExplicitMaxTTL),
		"token_period":                             secs(r.TokenPeriod),
		"token_bound_cidrs":                        nonNil(r.TokenBoundCIDRs),
		"token_no_default_policy":                  r.TokenNoDefaultPolicy,
		"token_num_uses":                           r.TokenNumUses,
		"token_type":                               tokenType,
	}
	if r.Audience != "" {
		d["audience"] = r.Audience
	}
	if len(r.Policies) > 0 {
		d["policies"] = nonNil(r.TokenPolicies)
	}
	if len(r.BoundCIDRs) > 0 {
		d["bound_cidrs"] = nonNil(r.TokenBoundCIDRs)
	}
	if r.TTL > 0 {
		d["ttl"] = secs(r.TTL)
	}
	if r.MaxTTL > 0 {
		d["max_ttl"] = secs(r.MaxTTL)
	}
	if r.Period > 0 {
		d["period"] = secs(r.Period)
	}
	if r.NumUses > 0 {
		d["num_uses"] = r.NumUses
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
	if err := r.applyTokenFields(fd); err != nil {
		return nil, err
	}
	if err := r.applyLegacyFields(fd); err != nil {
		return nil, err
	}
	warnings, err := r.checkTTLs(b.system.MaxLeaseTTL())
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

// applyTokenFields reads the token_* fields that the request sets, the
// way every auth method does (tokenutil).
func (r *role) applyTokenFields(fd *logical.FieldData) error {
	return r.ParseTokenFields(fd)
}

// applyLegacyFields implements Vault's upgrade rule for each deprecated
// field: given alone, it sets both itself and its token_* successor; given
// with its successor, it mirrors the successor; absent while the successor
// is given, it is cleared.
func (r *role) applyLegacyFields(fd *logical.FieldData) error {
	_, newSet, _ := fd.GetOk("token_policies")
	if v, ok, _ := fd.GetOk("policies"); ok && !newSet {
		// Vault's treatment of the legacy policies field.
		r.Policies = tokenutil.SanitizePolicies(v.([]string), false)
		r.TokenPolicies = slices.Clone(r.Policies)
	} else if newSet {
		r.Policies = nil
		if ok {
			r.Policies = slices.Clone(r.TokenPolicies)
		}
	}

	_, newSet, _ = fd.GetOk("token_bound_cidrs")
	if v, ok, _ := fd.GetOk("bound_cidrs"); ok && !newSet {
		cidrs, err := canonicalCIDRs(v.([]string))
		if err != nil {
			return logical.InvalidRequest("invalid bound_cidrs: %v", err)
		}
		r.BoundCIDRs, r.TokenBoundCIDRs = cidrs, slices.Clone(cidrs)
	} else if newSet {
		r.BoundCIDRs = nil
		if ok {
			r.BoundCIDRs = slices.Clone(r.TokenBoundCIDRs)
		}
	}

	durations := []struct {
		old, new string
		oldV     *time.Duration
		newV     *time.Duration
	}{
		{"ttl", "token_ttl", &r.TTL, &r.TokenTTL},
		{"max_ttl", "token_max_ttl", &r.MaxTTL, &r.TokenMaxTTL},
		{"period", "token_period", &r.Period, &r.TokenPeriod},
	}
	for _, f := range durations {
		_, newSet, _ := fd.GetOk(f.new)
		v, oldSet, _ := fd.GetOk(f.old)
		switch {
		case oldSet && !newSet:
			*f.oldV = v.(time.Duration)
			*f.newV = *f.oldV
		case newSet && oldSet:
			*f.oldV = *f.newV
		case newSet:
			*f.oldV = 0
		}
	}

	_, newSet, _ = fd.GetOk("token_num_uses")
	v, oldSet, _ := fd.GetOk("num_uses")
	switch {
	case oldSet && !newSet:
		if v.(int64) < 0 {
			return logical.InvalidRequest("'num_uses' cannot be negative")
		}
		r.NumUses, r.TokenNumUses = v.(int64), v.(int64)
	case newSet && oldSet:
		r.NumUses = r.TokenNumUses
	case newSet:
		r.NumUses = 0
	}
	return nil
}

// checkTTLs applies Vault's limits against the mount's maximum lease TTL.
func (r *role) checkTTLs(mountMax time.Duration) ([]string, error) {
	return r.CheckTokenFields(mountMax)
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

func canonicalCIDRs(in []string) ([]string, error) { return tokenutil.CanonicalCIDRs(in) }
