package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

const rolePrefix = "role/"

// Alias name sources a role may choose.
const (
	aliasSourceUID  = "serviceaccount_uid"
	aliasSourceName = "serviceaccount_name"
)

// role binds service accounts to token properties. The token_* fields are
// the current names; the legacy ones (policies, ttl, ...) are kept only so
// that a read reports them the way the role was written, as Vault does.
type role struct {
	BoundServiceAccountNames             []string `json:"bound_service_account_names"`
	BoundServiceAccountNamespaces        []string `json:"bound_service_account_namespaces"`
	BoundServiceAccountNamespaceSelector string   `json:"bound_service_account_namespace_selector"`
	Audience                             string   `json:"audience"`
	AliasNameSource                      string   `json:"alias_name_source"`

	// The common token_* fields, stored flat under their Vault names.
	tokenutil.TokenParams
	// The legacy names (policies, ttl, ...), stored only when written.
	tokenutil.LegacyParams
}

func roleKey(name string) string { return rolePrefix + strings.ToLower(name) }

func loadRole(ctx context.Context, s logical.Storage, name string) (*role, error) {
	entry, err := s.Get(ctx, roleKey(name))
	if err != nil {
		return nil, fmt.Errorf("kubernetes auth: read role: %w", err)
	}
	if entry == nil {
		return nil, nil
	}
	var r role
	if err := json.Unmarshal(entry.Value, &r); err != nil {
		return nil, fmt.Errorf("kubernetes auth: decode role: %w", err)
	}
	return &r, nil
}

// bindsName reports whether the role admits the service account name.
func (r *role) bindsName(name string) bool {
	return matchAny(r.BoundServiceAccountNames, name)
}

// bindsNamespaceByName reports whether the namespace list admits ns; the
// label selector, if any, is a separate, remote check.
func (r *role) bindsNamespaceByName(ns string) bool {
	return matchAny(r.BoundServiceAccountNamespaces, ns)
}

func matchAny(patterns []string, s string) bool {
	if s == "" {
		return false
	}
	return slices.ContainsFunc(patterns, func(p string) bool { return matchGlob(p, s) })
}

// matchGlob matches s against a pattern in which each "*" stands for any
// run of characters ("*" alone matches everything, "dev-*" a prefix), the
// glob Vault uses for these bindings.
func matchGlob(pattern, s string) bool { return tokenutil.MatchGlob(pattern, s) }

// allowsAddr reports whether the client address is inside the role's
// token_bound_cidrs (every address is, when there are none).
func (r *role) allowsAddr(remote string) bool {
	return tokenutil.AddrInCIDRs(remote, r.TokenBoundCIDRs)
}

// auth builds the token a login asks core to mint.
func (r *role) auth(roleName string, c *saClaims) *logical.Auth {
	auth := &logical.Auth{
		DisplayName: c.Namespace + "-" + c.Name,
		Metadata: map[string]string{
			"role":                        roleName,
			"service_account_name":        c.Name,
			"service_account_namespace":   c.Namespace,
			"service_account_secret_name": c.SecretName,
			"service_account_uid":         c.UID,
		},
		// The identity store finds (or creates) one entity per alias.
		Alias: &logical.Alias{Name: r.aliasName(c), Metadata: map[string]string{
			"service_account_name":        c.Name,
			"service_account_namespace":   c.Namespace,
			"service_account_secret_name": c.SecretName,
			"service_account_uid":         c.UID,
		}},
		InternalData: map[string]any{
			"role":                      roleName,
			"service_account_name":      c.Name,
			"service_account_namespace": c.Namespace,
			"service_account_uid":       c.UID,
			"alias_name":                r.aliasName(c),
		},
	}
	r.PopulateTokenAuth(auth)
	return auth
}

func (r *role) aliasName(c *saClaims) string {
	if r.AliasNameSource == aliasSourceName {
		return c.Namespace + "/" + c.Name
	}
	return c.UID
}
