package tokenutil

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// TokenParams are the token_* fields an auth method's role (or user) keeps,
// with the JSON names Vault reads and writes. Embed it in a role struct to
// store the fields flat beside the role's own.
type TokenParams struct {
	TokenPolicies        []string      `json:"token_policies"`
	TokenTTL             time.Duration `json:"token_ttl"`
	TokenMaxTTL          time.Duration `json:"token_max_ttl"`
	TokenExplicitMaxTTL  time.Duration `json:"token_explicit_max_ttl"`
	TokenPeriod          time.Duration `json:"token_period"`
	TokenBoundCIDRs      []string      `json:"token_bound_cidrs"`
	TokenNoDefaultPolicy bool          `json:"token_no_default_policy"`
	TokenNumUses         int64         `json:"token_num_uses"`
	TokenType            string        `json:"token_type"`
}

// AddTokenFields adds the token_* fields (and the legacy "policies" alias of
// token_policies) to an auth method's schema and returns it.
func AddTokenFields(schema map[string]*logical.FieldSchema) map[string]*logical.FieldSchema {
	for k, v := range map[string]*logical.FieldSchema{
		"token_policies":          {Type: logical.TypeStringList},
		"policies":                {Type: logical.TypeStringList},
		"token_ttl":               {Type: logical.TypeDuration},
		"token_max_ttl":           {Type: logical.TypeDuration},
		"token_explicit_max_ttl":  {Type: logical.TypeDuration},
		"token_period":            {Type: logical.TypeDuration},
		"token_bound_cidrs":       {Type: logical.TypeStringList},
		"token_no_default_policy": {Type: logical.TypeBool},
		"token_num_uses":          {Type: logical.TypeInt},
		"token_type":              {Type: logical.TypeString},
	} {
		schema[k] = v
	}
	return schema
}

// ParseTokenFields reads the token_* fields a request sets; fields left out
// keep their values. "policies" sets token_policies when token_policies is
// not given, as Vault's deprecated field does. Call fd.Validate first.
func (p *TokenParams) ParseTokenFields(fd *logical.FieldData) error {
	if v, ok, _ := fd.GetOk("token_policies"); ok {
		p.TokenPolicies = SanitizePolicies(v.([]string), false)
	} else if v, ok, _ := fd.GetOk("policies"); ok {
		p.TokenPolicies = SanitizePolicies(v.([]string), false)
	}
	if v, ok, _ := fd.GetOk("token_bound_cidrs"); ok {
		cidrs, err := CanonicalCIDRs(v.([]string))
		if err != nil {
			return logical.InvalidRequest("invalid token_bound_cidrs: %v", err)
		}
		p.TokenBoundCIDRs = cidrs
	}
	for field, dst := range map[string]*time.Duration{
		"token_ttl": &p.TokenTTL, "token_max_ttl": &p.TokenMaxTTL,
		"token_explicit_max_ttl": &p.TokenExplicitMaxTTL, "token_period": &p.TokenPeriod,
	} {
		if v, ok, _ := fd.GetOk(field); ok {
			*dst = v.(time.Duration)
		}
	}
	if v, ok, _ := fd.GetOk("token_no_default_policy"); ok {
		p.TokenNoDefaultPolicy = v.(bool)
	}
	if v, ok, _ := fd.GetOk("token_num_uses"); ok {
		if v.(int64) < 0 {
			return logical.InvalidRequest("'token_num_uses' cannot be negative")
		}
		p.TokenNumUses = v.(int64)
	}
	if v, ok, _ := fd.GetOk("token_type"); ok {
		switch t := strings.TrimSpace(v.(string)); t {
		case "", "default":
			p.TokenType = ""
		case "service", "batch", "default-service", "default-batch":
			p.TokenType = t
		default:
			return logical.InvalidRequest("invalid 'token_type' value %q", t)
		}
	}
	if p.TokenTTL > 0 && p.TokenMaxTTL > 0 && p.TokenTTL > p.TokenMaxTTL {
		return logical.InvalidRequest("'token_ttl' cannot be greater than 'token_max_ttl'")
	}
	return nil
}

// CheckTokenFields applies Vault's consistency rules against the mount's
// maximum lease TTL; it returns warnings for limits that will be truncated.
func (p *TokenParams) CheckTokenFields(mountMax time.Duration) ([]string, error) {
	batch := p.TokenType == "batch" || p.TokenType == "default-batch"
	if batch && p.TokenPeriod != 0 {
		return nil, logical.InvalidRequest("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens")
	}
	if batch && p.TokenNumUses != 0 {
		return nil, logical.InvalidRequest("'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count")
	}
	if mountMax > 0 && p.TokenPeriod > mountMax {
		return nil, logical.InvalidRequest("token period of %q is greater than the backend's maximum lease TTL of %q",
			p.TokenPeriod.String(), mountMax.String())
	}
	if p.TokenMaxTTL > 0 && p.TokenTTL > p.TokenMaxTTL {
		// Set through a deprecated field (ttl, max_ttl) after ParseTokenFields.
		return nil, logical.InvalidRequest("token ttl should not be greater than token max ttl")
	}
	var warnings []string
	if mountMax > 0 && p.TokenMaxTTL > mountMax {
		warnings = append(warnings, "max_ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated")
	}
	return warnings, nil
}

// PopulateTokenData writes the token_* fields into a read's response data,
// durations in seconds, lists never null.
func (p *TokenParams) PopulateTokenData(d map[string]any) {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	secs := func(d time.Duration) int64 { return int64(d / time.Second) }
	tokenType := p.TokenType
	if tokenType == "" {
		tokenType = "default"
	}
	d["token_policies"] = nonNil(p.TokenPolicies)
	d["policies"] = nonNil(p.TokenPolicies)
	d["token_ttl"] = secs(p.TokenTTL)
	d["token_max_ttl"] = secs(p.TokenMaxTTL)
	d["token_explicit_max_ttl"] = secs(p.TokenExplicitMaxTTL)
	d["token_period"] = secs(p.TokenPeriod)
	d["token_bound_cidrs"] = nonNil(p.TokenBoundCIDRs)
	d["token_no_default_policy"] = p.TokenNoDefaultPolicy
	d["token_num_uses"] = p.TokenNumUses
	d["token_type"] = tokenType
}

// PopulateTokenAuth fills the token properties of a login's Auth.
func (p *TokenParams) PopulateTokenAuth(auth *logical.Auth) {
	policies := slices.Clone(p.TokenPolicies)
	if policies == nil {
		policies = []string{}
	}
	auth.Policies = policies
	auth.TokenPolicies = slices.Clone(policies)
	auth.NoDefaultPolicy = p.TokenNoDefaultPolicy
	auth.TTL = p.TokenTTL
	auth.MaxTTL = p.TokenMaxTTL
	auth.ExplicitMaxTTL = p.TokenExplicitMaxTTL
	auth.Period = p.TokenPeriod
	auth.NumUses = int(p.TokenNumUses)
	auth.Renewable = true
	auth.BoundCIDRs = slices.Clone(p.TokenBoundCIDRs)
	auth.TokenType = logical.TokenTypeService
	if p.TokenType == "batch" || p.TokenType == "default-batch" {
		auth.TokenType = logical.TokenTypeBatch
		auth.Renewable = false
	}
	if auth.Metadata != nil {
		auth.Metadata = maps.Clone(auth.Metadata)
	}
}

// CanonicalCIDRs reads a list of CIDR blocks or single addresses and writes
// each back in canonical form (a single address stays without a mask).
func CanonicalCIDRs(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		pr, err := ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR block", s)
		}
		if pr.IsSingleIP() && !strings.Contains(s, "/") {
			out = append(out, pr.Addr().String())
			continue
		}
		out = append(out, pr.String())
	}
	return out, nil
}

// ParseCIDR reads "10.0.0.0/8" or a single address as a prefix.
func ParseCIDR(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		pr, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return pr.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// AddrInCIDRs reports whether remote (an address, with or without a port)
// lies in one of cidrs; every address does when cidrs is empty, and an
// unparsable address lies in none.
func AddrInCIDRs(remote string, cidrs []string) bool {
	if len(cidrs) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(remote)
	if err != nil {
		ap, perr := netip.ParseAddrPort(remote)
		if perr != nil {
			return false
		}
		addr = ap.Addr()
	}
	addr = addr.Unmap()
	for _, c := range cidrs {
		if pr, err := ParseCIDR(c); err == nil && pr.Contains(addr) {
			return true
		}
	}
	return false
}

// Renewed answers the renewal of a token issued under these params: the
// token's auth, with the TTL, max TTL and period the role (or user) has
// now.
func (p *TokenParams) Renewed(prev *logical.Auth) *logical.Response {
	auth := *prev
	auth.TTL, auth.MaxTTL, auth.Period = p.TokenTTL, p.TokenMaxTTL, p.TokenPeriod
	return &logical.Response{Auth: &auth}
}
