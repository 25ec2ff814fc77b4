package tokenutil

import (
	"slices"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// LegacyParams are the deprecated names of the token_* fields (ttl,
// max_ttl, period, num_uses, bound_cidrs, and policies) that Vault's
// older auth methods (kubernetes, jwt) still accept and read back. A role
// embeds it beside TokenParams; a legacy field is stored only when the
// role was written with it, so that a read shows it as Vault's does.
type LegacyParams struct {
	Policies   []string      `json:"policies,omitempty"`
	TTL        time.Duration `json:"ttl,omitempty"`
	MaxTTL     time.Duration `json:"max_ttl,omitempty"`
	Period     time.Duration `json:"period,omitempty"`
	NumUses    int64         `json:"num_uses,omitempty"`
	BoundCIDRs []string      `json:"bound_cidrs,omitempty"`
}

// AddLegacyFields adds the legacy names to a schema (AddTokenFields
// already has "policies") and returns it.
func AddLegacyFields(schema map[string]*logical.FieldSchema) map[string]*logical.FieldSchema {
	for k, t := range map[string]logical.FieldType{
		"ttl":         logical.TypeDuration,
		"max_ttl":     logical.TypeDuration,
		"period":      logical.TypeDuration,
		"num_uses":    logical.TypeInt,
		"bound_cidrs": logical.TypeStringList,
		"policies":    logical.TypeStringList,
	} {
		schema[k] = &logical.FieldSchema{Type: t}
	}
	return schema
}

// Upgrade applies Vault's rule for each legacy field after
// TokenParams.ParseTokenFields: given alone, it sets both itself and its
// token_* successor; given with its successor, it mirrors the successor;
// absent while the successor is given, it is cleared. Call fd.Validate
// first.
//
// When a legacy ttl, max_ttl or period leaves token_ttl above
// token_max_ttl, Upgrade fails with ttlOverMax, the method's own wording
// (Vault's jwt and kubernetes methods word it differently); with
// ttlOverMax "" that check is left to CheckTokenFields.
func (l *LegacyParams) Upgrade(fd *logical.FieldData, p *TokenParams, ttlOverMax string) error {
	_, newSet, _ := fd.GetOk("token_policies")
	if _, ok, _ := fd.GetOk("policies"); ok && !newSet {
		l.Policies = slices.Clone(p.TokenPolicies) // ParseTokenFields took them
	} else if newSet {
		l.Policies = nil
		if ok {
			l.Policies = slices.Clone(p.TokenPolicies)
		}
	}

	_, newSet, _ = fd.GetOk("token_bound_cidrs")
	if v, ok, _ := fd.GetOk("bound_cidrs"); ok && !newSet {
		cidrs, err := CanonicalCIDRs(v.([]string))
		if err != nil {
			return logical.InvalidRequest("invalid bound_cidrs: %v", err)
		}
		l.BoundCIDRs, p.TokenBoundCIDRs = cidrs, slices.Clone(cidrs)
	} else if newSet {
		l.BoundCIDRs = nil
		if ok {
			l.BoundCIDRs = slices.Clone(p.TokenBoundCIDRs)
		}
	}

	legacyTTLs := false
	for _, f := range []struct {
		old, new   string
		oldV, newV *time.Duration
	}{
		{"ttl", "token_ttl", &l.TTL, &p.TokenTTL},
		{"max_ttl", "token_max_ttl", &l.MaxTTL, &p.TokenMaxTTL},
		{"period", "token_period", &l.Period, &p.TokenPeriod},
	} {
		_, newSet, _ := fd.GetOk(f.new)
		v, oldSet, _ := fd.GetOk(f.old)
		switch {
		case oldSet && !newSet:
			*f.oldV, *f.newV = v.(time.Duration), v.(time.Duration)
			legacyTTLs = true
		case newSet && oldSet:
			*f.oldV = *f.newV
		case newSet:
			*f.oldV = 0
		}
	}
	if ttlOverMax != "" && legacyTTLs && p.TokenMaxTTL > 0 && p.TokenTTL > p.TokenMaxTTL {
		return logical.InvalidRequest("%s", ttlOverMax)
	}

	_, newSet, _ = fd.GetOk("token_num_uses")
	v, oldSet, _ := fd.GetOk("num_uses")
	switch {
	case oldSet && !newSet:
		if v.(int64) < 0 {
			return logical.InvalidRequest("'num_uses' cannot be negative")
		}
		l.NumUses, p.TokenNumUses = v.(int64), v.(int64)
	case newSet && oldSet:
		l.NumUses = p.TokenNumUses
	case newSet:
		l.NumUses = 0
	}
	return nil
}

// PopulateLegacyData adds to a read's data the legacy fields the role was
// written with, each reporting its token_* successor's value.
func (l *LegacyParams) PopulateLegacyData(d map[string]any, p *TokenParams) {
	secs := func(t time.Duration) int64 { return int64(t / time.Second) }
	if len(l.BoundCIDRs) > 0 {
		cidrs := p.TokenBoundCIDRs
		if cidrs == nil {
			cidrs = []string{}
		}
		d["bound_cidrs"] = cidrs
	}
	if l.TTL > 0 {
		d["ttl"] = secs(p.TokenTTL)
	}
	if l.MaxTTL > 0 {
		d["max_ttl"] = secs(p.TokenMaxTTL)
	}
	if l.Period > 0 {
		d["period"] = secs(p.TokenPeriod)
	}
	if l.NumUses > 0 {
		d["num_uses"] = p.TokenNumUses
	}
}
