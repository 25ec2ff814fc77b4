package token

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

// tokenRole is a token role, stored as JSON under "roles/<name>".
type tokenRole struct {
	Name                   string        `json:"name"`
	AllowedPolicies        []string      `json:"allowed_policies"`
	DisallowedPolicies     []string      `json:"disallowed_policies"`
	AllowedPoliciesGlob    []string      `json:"allowed_policies_glob"`
	DisallowedPoliciesGlob []string      `json:"disallowed_policies_glob"`
	Orphan                 bool          `json:"orphan"`
	Renewable              bool          `json:"renewable"`
	PathSuffix             string        `json:"path_suffix"`
	AllowedEntityAliases   []string      `json:"allowed_entity_aliases"`
	TokenBoundCIDRs        []string      `json:"token_bound_cidrs"`
	TokenExplicitMaxTTL    time.Duration `json:"token_explicit_max_ttl"`
	TokenNoDefaultPolicy   bool          `json:"token_no_default_policy"`
	TokenNumUses           int           `json:"token_num_uses"`
	TokenPeriod            time.Duration `json:"token_period"`
	TokenType              string        `json:"token_type"`
	// The deprecated names, kept to read back what was written with them.
	Period         time.Duration `json:"period"`
	ExplicitMaxTTL time.Duration `json:"explicit_max_ttl"`
	BoundCIDRs     []string      `json:"bound_cidrs"`
}

// roleSchema is the body of roles/<name>. Vault's token roles take no
// token_ttl; the TTL comes from the create call.
func roleSchema() map[string]*logical.FieldSchema {
	return map[string]*logical.FieldSchema{
		"allowed_policies":         {Type: logical.TypeStringList},
		"disallowed_policies":      {Type: logical.TypeStringList},
		"allowed_policies_glob":    {Type: logical.TypeStringList},
		"disallowed_policies_glob": {Type: logical.TypeStringList},
		"orphan":                   {Type: logical.TypeBool},
		"renewable":                {Type: logical.TypeBool, Default: true},
		"path_suffix":              {Type: logical.TypeString},
		"allowed_entity_aliases":   {Type: logical.TypeStringList},
		"token_bound_cidrs":        {Type: logical.TypeStringList},
		"token_explicit_max_ttl":   {Type: logical.TypeDuration},
		"token_no_default_policy":  {Type: logical.TypeBool},
		"token_num_uses":           {Type: logical.TypeInt},
		"token_period":             {Type: logical.TypeDuration},
		"token_type":               {Type: logical.TypeString},
		"period":                   {Type: logical.TypeDuration},
		"explicit_max_ttl":         {Type: logical.TypeDuration},
		"bound_cidrs":              {Type: logical.TypeStringList},
	}
}

// restrictsPolicies reports whether the role decides policies itself.
func (r *tokenRole) restrictsPolicies() bool {
	return len(r.AllowedPolicies) > 0 || len(r.DisallowedPolicies) > 0 ||
		len(r.AllowedPoliciesGlob) > 0 || len(r.DisallowedPoliciesGlob) > 0
}

// policiesFor applies the role's allowed and disallowed policies.
func (r *tokenRole) policiesFor(asked []string, parent *Entry, noDefault bool) ([]string, error) {
	addDefault := !noDefault && !r.TokenNoDefaultPolicy &&
		!slices.Contains(r.DisallowedPolicies, "default") && !matchesAnyGlob(r.DisallowedPoliciesGlob, "default")
	var final []string
	if len(asked) > 0 {
		final = tokenutil.SanitizePolicies(asked, addDefault)
	}
	if len(r.AllowedPolicies) > 0 || len(r.AllowedPoliciesGlob) > 0 {
		allowed := tokenutil.SanitizePolicies(r.AllowedPolicies, addDefault)
		if len(final) == 0 {
			final = allowed
		} else {
			for _, p := range final {
				if !slices.Contains(allowed, p) && !matchesAnyGlob(r.AllowedPoliciesGlob, p) {
					return nil, logical.InvalidRequest("token policies (%q) must be subset of the role's allowed policies (%q) or glob policies (%q)", final, allowed, r.AllowedPoliciesGlob)
				}
			}
		}
	} else if len(final) == 0 {
		final = tokenutil.SanitizePolicies(parent.Policies, addDefault)
	}
	for _, p := range final {
		if slices.Contains(r.DisallowedPolicies, p) || matchesAnyGlob(r.DisallowedPoliciesGlob, p) {
			return nil, logical.InvalidRequest("token policy %q is disallowed by this role", p)
		}
	}
	return final, nil
}

// matchesAnyGlob reports whether s matches one of the patterns, where '*'
// stands for any run of characters.
func matchesAnyGlob(patterns []string, s string) bool {
	for _, p := range patterns {
		if globMatch(p, s) {
			return true
		}
	}
	return false
}

// globMatch is the glob roles bind policies with (tokenutil.MatchGlob).
func globMatch(pattern, s string) bool { return tokenutil.MatchGlob(pattern, s) }

// readRole loads a role, nil if there is none.
func (b *backend) readRole(ctx context.Context, name string) (*tokenRole, error) {
	raw, err := b.s.storage.Get(ctx, rolePrefix+name)
	if err != nil {
		return nil, fmt.Errorf("read token role: %w", err)
	}
	if raw == nil {
		return nil, nil
	}
	r := &tokenRole{}
	if err := json.Unmarshal(raw.Value, r); err != nil {
		return nil, fmt.Errorf("decode token role: %w", err)
	}
	return r, nil
}

func (b *backend) handleRoleList(ctx context.Context, _ *logical.Request, _ *logical.FieldData, _ string) (*logical.Response, error) {
	keys, err := b.s.storage.List(ctx, rolePrefix)
	if err != nil {
		return nil, fmt.Errorf("list token roles: %w", err)
	}
	return listResponse(keys), nil
}

// listResponse answers a LIST; an empty list is "nothing here" (404).
func listResponse(keys []string) *logical.Response {
	if len(keys) == 0 {
		return nil
	}
	return &logical.Response{Data: map[string]any{"keys": keys}}
}

func (b *backend) handleRoleRead(ctx context.Context, _ *logical.Request, _ *logical.FieldData, name string) (*logical.Response, error) {
	r, err := b.readRole(ctx, name)
	if err != nil || r == nil {
		return nil, err
	}
	data := map[string]any{
		"name":                     r.Name,
		"allowed_policies":         nonNil(r.AllowedPolicies),
		"disallowed_policies":      nonNil(r.DisallowedPolicies),
		"allowed_policies_glob":    nonNil(r.AllowedPoliciesGlob),
		"disallowed_policies_glob": nonNil(r.DisallowedPoliciesGlob),
		"orphan":                   r.Orphan,
		"renewable":                r.Renewable,
		"path_suffix":              r.PathSuffix,
		"allowed_entity_aliases":   nonNil(r.AllowedEntityAliases),
		"token_explicit_max_ttl":   seconds(r.TokenExplicitMaxTTL),
		"token_no_default_policy":  r.TokenNoDefaultPolicy,
		"token_period":             seconds(r.TokenPeriod),
		"token_type":               r.TokenType,
		"period":                   seconds(r.Period),
		"explicit_max_ttl":         seconds(r.ExplicitMaxTTL),
	}
	if len(r.TokenBoundCIDRs) > 0 {
		data["token_bound_cidrs"] = r.TokenBoundCIDRs
	}
	if len(r.BoundCIDRs) > 0 {
		data["bound_cidrs"] = r.BoundCIDRs
	}
	if r.TokenNumUses > 0 {
		data["token_num_uses"] = r.TokenNumUses
	}
	return &logical.Response{Data: data}, nil
}

func (b *backend) handleRoleDelete(ctx context.Context, _ *logical.Request, _ *logical.FieldData, name string) (*logical.Response, error) {
	if err := b.s.storage.Delete(ctx, rolePrefix+name); err != nil {
		return nil, fmt.Errorf("delete token role: %w", err)
	}
	return nil, nil
}

// handleRoleWrite creates or updates a role. On update only the fields
// given change; on create the others take their defaults.
func (b *backend) handleRoleWrite(ctx context.Context, _ *logical.Request, d *logical.FieldData, name string) (*logical.Response, error) {
	r, err := b.readRole(ctx, name)
	if err != nil {
		return nil, err
	}
	if r == nil {
		r = &tokenRole{Name: name, Renewable: true, TokenType: "default-service"}
	}
	resp := &logical.Response{}
	if err := applyRoleFields(r, d, resp); err != nil {
		return nil, err
	}
	if max := b.s.system.MaxLeaseTTL(); max > 0 && r.TokenExplicitMaxTTL > max {
		resp.AddWarning(fmt.Sprintf("Given explicit max TTL of %d is greater than system/mount allowed value of %d seconds; until this is fixed attempting to create tokens against this role will result in an error", seconds(r.TokenExplicitMaxTTL), seconds(max)))
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode token role: %w", err)
	}
	if err := b.s.storage.Put(ctx, &logical.StorageEntry{Key: rolePrefix + name, Value: body}); err != nil {
		return nil, fmt.Errorf("write token role: %w", err)
	}
	if len(resp.Warnings) == 0 {
		return nil, nil
	}
	return resp, nil
}

// applyRoleFields copies the fields present in d onto r, checking them all
// before the role is written.
func applyRoleFields(r *tokenRole, d *logical.FieldData, resp *logical.Response) error {
	// Allowed sets are sanitized as policy lists (a "root" in them means
	// just root); the others are only lower-cased and de-duplicated.
	lists := []struct {
		name     string
		dst      *[]string
		policies bool
	}{
		{"allowed_policies", &r.AllowedPolicies, true},
		{"allowed_policies_glob", &r.AllowedPoliciesGlob, true},
		{"disallowed_policies", &r.DisallowedPolicies, false},
		{"disallowed_policies_glob", &r.DisallowedPoliciesGlob, false},
		{"allowed_entity_aliases", &r.AllowedEntityAliases, false},
	}
	for _, l := range lists {
		v, ok, _ := d.GetOk(l.name)
		switch {
		case !ok:
		case l.policies:
			*l.dst = tokenutil.SanitizePolicies(v.([]string), false)
		default:
			*l.dst = dedupeLower(v.([]string))
		}
	}
	bools := map[string]*bool{
		"orphan":                  &r.Orphan,
		"renewable":               &r.Renewable,
		"token_no_default_policy": &r.TokenNoDefaultPolicy,
	}
	for name, dst := range bools {
		if v, ok, _ := d.GetOk(name); ok {
			*dst = v.(bool)
		}
	}
	if v, ok, _ := d.GetOk("path_suffix"); ok {
		if err := checkPathSuffix(v.(string)); err != nil {
			return err
		}
		r.PathSuffix = v.(string)
	}
	if v, ok, _ := d.GetOk("token_num_uses"); ok {
		if v.(int64) < 0 {
			return logical.InvalidRequest("token_num_uses cannot be negative")
		}
		r.TokenNumUses = int(v.(int64))
	}
	if v, ok, _ := d.GetOk("token_type"); ok {
		t, err := roleTokenType(v.(string))
		if err != nil {
			return err
		}
		r.TokenType = t
	}
	applyDeprecatedPair(d, "token_period", "period", &r.TokenPeriod, &r.Period, resp)
	applyDeprecatedPair(d, "token_explicit_max_ttl", "explicit_max_ttl", &r.TokenExplicitMaxTTL, &r.ExplicitMaxTTL, resp)
	return applyCIDRs(d, r, resp)
}

// applyDeprecatedPair sets a duration given under its token_ name or its
// deprecated one; the token_ name wins when both are given.
func applyDeprecatedPair(d *logical.FieldData, name, old string, dst, oldDst *time.Duration, resp *logical.Response) {
	v, ok, _ := d.GetOk(name)
	ov, oldOK, _ := d.GetOk(old)
	switch {
	case ok:
		*dst = v.(time.Duration)
		*oldDst = 0
		if oldOK {
			resp.AddWarning(fmt.Sprintf("Both '%s' and deprecated '%s' value supplied, ignoring the deprecated value", name, old))
		}
	case oldOK:
		*dst = ov.(time.Duration)
		*oldDst = *dst
	}
}

// applyCIDRs sets token_bound_cidrs (or the deprecated bound_cidrs), each
// an address or a CIDR block.
func applyCIDRs(d *logical.FieldData, r *tokenRole, resp *logical.Response) error {
	v, ok, _ := d.GetOk("token_bound_cidrs")
	ov, oldOK, _ := d.GetOk("bound_cidrs")
	var list []string
	switch {
	case ok:
		list = v.([]string)
		if oldOK {
			resp.AddWarning("Both 'token_bound_cidrs' and deprecated 'bound_cidrs' value supplied, ignoring the deprecated value")
		}
	case oldOK:
		list = ov.([]string)
	default:
		return nil
	}
	for _, c := range list {
		if _, err := parseCIDR(c); err != nil {
			return logical.InvalidRequest("error parsing role fields: invalid CIDR %q", c)
		}
	}
	r.TokenBoundCIDRs = list
	r.BoundCIDRs = nil
	if !ok {
		r.BoundCIDRs = list
	}
	return nil
}

// roleTokenType reads a role's token_type.
func roleTokenType(t string) (string, error) {
	switch t {
	case TypeService, "default-service":
		return t, nil
	case "", "default":
		return "default-service", nil
	case TypeBatch, "default-batch":
		return t, nil
	}
	return "", logical.InvalidRequest("invalid 'token_type' value %q", t)
}

// checkPathSuffix allows word characters, '-', '.' and '/' between word
// characters, and no "..".
func checkPathSuffix(s string) error {
	if s == "" {
		return nil
	}
	ok := !strings.Contains(s, "..") && !strings.Contains(s, "//")
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		word := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
		edge := i == 0 || i == len(s)-1
		ok = word || (!edge && (c == '-' || c == '.' || c == '/'))
	}
	if !ok {
		return logical.InvalidRequest("given role path suffix contains invalid characters")
	}
	return nil
}

// dedupeLower trims and lower-cases names, dropping empty ones and
// duplicates, and sorts them.
func dedupeLower(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }
