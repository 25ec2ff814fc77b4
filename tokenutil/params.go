package tokenutil

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// Params are the common token_* fields of an auth method's role, with the
// deprecated names (policies, ttl, max_ttl, period, num_uses, bound_cidrs)
// that Vault still accepts. A role embeds Params, so the fields are stored
// flat beside the role's own, under the names the API uses.
type Params struct {
	TokenPolicies        []string      `json:"token_policies"`
	TokenTTL             time.Duration `json:"token_ttl"`
	TokenMaxTTL          time.Duration `json:"token_max_ttl"`
	TokenExplicitMaxTTL  time.Duration `json:"token_explicit_max_ttl"`
	TokenPeriod          time.Duration `json:"token_period"`
	TokenBoundCIDRs      []string      `json:"token_bound_cidrs"`
	TokenNoDefaultPolicy bool          `json:"token_no_default_policy"`
	TokenNumUses         int64         `json:"token_num_uses"`
	TokenType            string        `json:"token_type"`

	// The legacy fields are kept only so that a read reports them the way
	// the role was written, as Vault does.
	Policies   []string      `json:"policies,omitempty"`
	TTL        time.Duration `json:"ttl,omitempty"`
	MaxTTL     time.Duration `json:"max_ttl,omitempty"`
	Period     time.Duration `json:"period,omitempty"`
	NumUses    int64         `json:"num_uses,omitempty"`
	BoundCIDRs []string      `json:"bound_cidrs,omitempty"`
}

// AddFieldSchema adds the token_* and legacy fields to a role's schema.
func AddFieldSchema(schema map[string]*logical.FieldSchema) map[string]*logical.FieldSchema {
	fields := map[string]logical.FieldType{
		"token_policies":          logical.TypeStringList,
		"token_ttl":               logical.TypeDuration,
		"token_max_ttl":           logical.TypeDuration,
		"token_explicit_max_ttl":  logical.TypeDuration,
		"token_period":            logical.TypeDuration,
		"token_bound_cidrs":       logical.TypeStringList,
		"token_no_default_policy": logical.TypeBool,
		"token_num_uses":          logical.TypeInt,
		"token_type":              logical.TypeString,
		"policies":                logical.TypeStringList,
		"ttl":                     logical.TypeDuration,
		"max_ttl":                 logical.TypeDuration,
		"period":                  logical.TypeDuration,
		"num_uses":                logical.TypeInt,
		"bound_cidrs":             logical.TypeStringList,
	}
	for name, t := range fields {
		schema[name] = &logical.FieldSchema{Type: t}
	}
	return schema
}

// Parse applies the fields a role write sets (fields left out keep their
// values), Vault's upgrade rule for each legacy name, and the limits
// against the mount's maximum lease TTL. It returns Vault's warnings, or a
// 400 naming the first bad field. fd must have been validated.
func (p *Params) Parse(fd *logical.FieldData, mountMax time.Duration) ([]string, error) {
	if err := p.parseCurrent(fd); err != nil {
		return nil, err
	}
	if err := p.parseLegacy(fd); err != nil {
		return nil, err
	}
	return p.checkLimits(mountMax)
}

func (p *Params) parseCurrent(fd *logical.FieldData) error {
	if v, ok, _ := fd.GetOk("token_bound_cidrs"); ok {
		cidrs, err := CanonicalCIDRs(v.([]string))
		if err != nil {
			return logical.InvalidRequest("invalid token_bound_cidrs: %v", err)
		}
		p.TokenBoundCIDRs = cidrs
	}
	durations := []struct {
		field string
		dst   *time.Duration
	}{
		{"token_ttl", &p.TokenTTL}, {"token_max_ttl", &p.TokenMaxTTL},
		{"token_explicit_max_ttl", &p.TokenExplicitMaxTTL}, {"token_period", &p.TokenPeriod},
	}
	for _, d := range durations {
		if v, ok, _ := fd.GetOk(d.field); ok {
			*d.dst = v.(time.Duration)
		}
	}
	if p.TokenMaxTTL > 0 && p.TokenTTL > p.TokenMaxTTL {
		return logical.InvalidRequest("'token_ttl' cannot be greater than 'token_max_ttl'")
	}
	if v, ok, _ := fd.GetOk("token_no_default_policy"); ok {
		p.TokenNoDefaultPolicy = v.(bool)
	}
	if v, ok, _ := fd.GetOk("token_policies"); ok {
		p.TokenPolicies = v.([]string)
	}
	if v, ok, _ := fd.GetOk("token_num_uses"); ok {
		p.TokenNumUses = v.(int64)
		if p.TokenNumUses < 0 {
			return logical.InvalidRequest("'token_num_uses' cannot be negative")
		}
	}
	if v, ok, _ := fd.GetOk("token_type"); ok {
		switch t := strings.TrimSpace(v.(string)); t {
		case "", "default":
			p.TokenType = ""
		case "service", "batch":
			p.TokenType = t
		default:
			return logical.InvalidRequest("invalid 'token_type' value %q", t)
		}
	}
	return nil
}

// parseLegacy: a legacy field given alone sets both itself and its token_*
// successor; given with its successor, it mirrors the successor; absent
// while the successor is given, it is cleared.
func (p *Params) parseLegacy(fd *logical.FieldData) error {
	_, newSet, _ := fd.GetOk("token_policies")
	if v, ok, _ := fd.GetOk("policies"); ok && !newSet {
		p.Policies = SanitizePolicies(v.([]string), false)
		p.TokenPolicies = slices.Clone(p.Policies)
	} else if newSet {
		p.Policies = nil
		if ok {
			p.Policies = slices.Clone(p.TokenPolicies)
		}
	}

	_, newSet, _ = fd.GetOk("token_bound_cidrs")
	if v, ok, _ := fd.GetOk("bound_cidrs"); ok && !newSet {
		cidrs, err := CanonicalCIDRs(v.([]string))
		if err != nil {
			return logical.InvalidRequest("invalid bound_cidrs: %v", err)
		}
		p.BoundCIDRs, p.TokenBoundCIDRs = cidrs, slices.Clone(cidrs)
	} else if newSet {
		p.BoundCIDRs = nil
		if ok {
			p.BoundCIDRs = slices.Clone(p.TokenBoundCIDRs)
		}
	}

	durations := []struct {
		old, new   string
		oldV, newV *time.Duration
	}{
		{"ttl", "token_ttl", &p.TTL, &p.TokenTTL},
		{"max_ttl", "token_max_ttl", &p.MaxTTL, &p.TokenMaxTTL},
		{"period", "token_period", &p.Period, &p.TokenPeriod},
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
		p.NumUses, p.TokenNumUses = v.(int64), v.(int64)
	case newSet && oldSet:
		p.NumUses = p.TokenNumUses
	case newSet:
		p.NumUses = 0
	}
	return nil
}

func (p *Params) checkLimits(mountMax time.Duration) ([]string, error) {
	if p.TokenType == "batch" && p.TokenPeriod != 0 {
		return nil, logical.InvalidRequest("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens")
	}
	if p.TokenType == "batch" && p.TokenNumUses != 0 {
		return nil, logical.InvalidRequest("'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count")
	}
	if mountMax > 0 && p.TokenPeriod > mountMax {
		return nil, logical.InvalidRequest("token period of %q is greater than the backend's maximum lease TTL of %q",
			p.TokenPeriod.String(), mountMax.String())
	}
	if p.TokenMaxTTL > 0 && p.TokenTTL > p.TokenMaxTTL {
		return nil, logical.InvalidRequest("ttl should not be greater than max ttl")
	}
	var warnings []string
	if mountMax > 0 && p.TokenMaxTTL > mountMax {
		warnings = append(warnings, "max_ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated")
	}
	return warnings, nil
}

// AddData writes the fields as a role read reports them: every token_*
// field, and a legacy field only when the role was written with it.
func (p *Params) AddData(d map[string]any) {
	secs := func(t time.Duration) int64 { return int64(t / time.Second) }
	tokenType := p.TokenType
	if tokenType == "" {
		tokenType = "default"
	}
	d["token_policies"] = nonNil(p.TokenPolicies)
	d["token_ttl"] = secs(p.TokenTTL)
	d["token_max_ttl"] = secs(p.TokenMaxTTL)
	d["token_explicit_max_ttl"] = secs(p.TokenExplicitMaxTTL)
	d["token_period"] = secs(p.TokenPeriod)
	d["token_bound_cidrs"] = nonNil(p.TokenBoundCIDRs)
	d["token_no_default_policy"] = p.TokenNoDefaultPolicy
	d["token_num_uses"] = p.TokenNumUses
	d["token_type"] = tokenType
	if len(p.Policies) > 0 {
		d["policies"] = nonNil(p.TokenPolicies)
	}
	if len(p.BoundCIDRs) > 0 {
		d["bound_cidrs"] = nonNil(p.TokenBoundCIDRs)
	}
	if p.TTL > 0 {
		d["ttl"] = secs(p.TTL)
	}
	if p.MaxTTL > 0 {
		d["max_ttl"] = secs(p.MaxTTL)
	}
	if p.Period > 0 {
		d["period"] = secs(p.Period)
	}
	if p.NumUses > 0 {
		d["num_uses"] = p.NumUses
	}
}

// Populate fills the token properties of a login's Auth from the role.
func (p *Params) Populate(a *logical.Auth) {
	policies := nonNil(slices.Clone(p.TokenPolicies))
	a.Policies = policies
	a.TokenPolicies = slices.Clone(policies)
	a.NoDefaultPolicy = p.TokenNoDefaultPolicy
	a.TTL = p.TokenTTL
	a.MaxTTL = p.TokenMaxTTL
	a.ExplicitMaxTTL = p.TokenExplicitMaxTTL
	a.Period = p.TokenPeriod
	a.NumUses = int(p.TokenNumUses)
	a.Renewable = true
	a.BoundCIDRs = slices.Clone(p.TokenBoundCIDRs)
	a.TokenType = logical.TokenTypeService
	if p.TokenType == "batch" {
		a.TokenType = logical.TokenTypeBatch
	}
}

// AllowsAddr reports whether the client address is inside the role's
// token_bound_cidrs (every address is, when there are none). An address
// that cannot be read is refused.
func (p *Params) AllowsAddr(remote string) bool {
	if len(p.TokenBoundCIDRs) == 0 {
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
	for _, c := range p.TokenBoundCIDRs {
		if pr, err := ParseCIDR(c); err == nil && pr.Contains(addr) {
			return true
		}
	}
	return false
}

// CanonicalCIDRs reads CIDR blocks or single addresses and writes each in
// its canonical form.
func CanonicalCIDRs(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, s := range in {
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

// ParseCIDR reads a CIDR block or a single address.
func ParseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
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
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
