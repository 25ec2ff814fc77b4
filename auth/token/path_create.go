package token

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

// createSchema is the body of create, create-orphan and create/<role>.
func createSchema() map[string]*logical.FieldSchema {
	return map[string]*logical.FieldSchema{
		"id":                {Type: logical.TypeString},
		"policies":          {Type: logical.TypeStringList},
		"meta":              {Type: logical.TypeStringMap},
		"no_parent":         {Type: logical.TypeBool},
		"no_default_policy": {Type: logical.TypeBool},
		"renewable":         {Type: logical.TypeBool, Default: true},
		"ttl":               {Type: logical.TypeDuration},
		"lease":             {Type: logical.TypeDuration},
		"type":              {Type: logical.TypeString},
		"explicit_max_ttl":  {Type: logical.TypeDuration},
		"display_name":      {Type: logical.TypeString},
		"num_uses":          {Type: logical.TypeInt},
		"period":            {Type: logical.TypeDuration},
		"entity_alias":      {Type: logical.TypeString},
	}
}

func (b *backend) handleCreate(ctx context.Context, req *logical.Request, d *logical.FieldData, _ string) (*logical.Response, error) {
	return b.createCommon(ctx, req, d, false, nil)
}

func (b *backend) handleCreateOrphan(ctx context.Context, req *logical.Request, d *logical.FieldData, _ string) (*logical.Response, error) {
	return b.createCommon(ctx, req, d, true, nil)
}

func (b *backend) handleCreateRole(ctx context.Context, req *logical.Request, d *logical.FieldData, name string) (*logical.Response, error) {
	role, err := b.readRole(ctx, name)
	if err != nil {
		return nil, err
	}
	if role == nil {
		return nil, logical.InvalidRequest("unknown role %s", name)
	}
	return b.createCommon(ctx, req, d, false, role)
}

// createCommon creates a token as Vault's create endpoints do. orphan is
// set by create-orphan; role by create/<role>.
func (b *backend) createCommon(ctx context.Context, req *logical.Request, d *logical.FieldData, orphan bool, role *tokenRole) (*logical.Response, error) {
	parent, err := b.caller(ctx, req)
	if err != nil {
		return nil, err
	}
	if parent == nil {
		return nil, logical.InvalidRequest("parent token lookup failed: no parent found")
	}
	if parent.NumUses != 0 {
		return nil, logical.InvalidRequest("restricted use token cannot generate child tokens")
	}
	if parent.IsBatch() {
		return nil, logical.InvalidRequest("batch tokens cannot create more tokens")
	}
	sudo := b.isSudo(ctx, parent, req)
	now := b.s.system.Now()

	te, renewable, err := b.newEntryFromRequest(req, d, role, sudo, now)
	if err != nil {
		return nil, err
	}
	if te.Policies, err = resolvePolicies(d, role, parent, sudo); err != nil {
		return nil, err
	}
	if te.IsRoot() && !parent.IsRoot() {
		return nil, logical.InvalidRequest("root tokens may not be created without parent token being root")
	}
	isOrphan, err := chooseOrphan(d, role, orphan, sudo)
	if err != nil {
		return nil, err
	}
	if role != nil {
		te.BoundCIDRs = slices.Clone(role.TokenBoundCIDRs)
	}
	if !isOrphan {
		te.EntityID = parent.EntityID
		if role == nil {
			te.BoundCIDRs = slices.Clone(parent.BoundCIDRs)
		}
	}

	resp := &logical.Response{}
	if err := b.setTTL(d, role, sudo, parent, isOrphan, now, te, resp); err != nil {
		return nil, err
	}
	if te.IsBatch() && te.TTL == 0 {
		// A batch token always expires: without a TTL it gets the max.
		te.TTL = b.s.system.MaxLeaseTTL()
		te.ExpireTime = now.Add(te.TTL)
	}
	if te.TTL == 0 {
		// Non-expiring root tokens are not renewable and not CIDR-bound.
		renewable = false
		te.BoundCIDRs = nil
	}
	te.Renewable = renewable

	var parentForInsert *Entry
	if !isOrphan {
		parentForInsert = parent
	}
	insert := b.s.insert
	if te.IsBatch() {
		insert = b.s.insertBatch
	}
	if err := insert(ctx, te, parentForInsert); err != nil {
		return nil, err
	}
	resp.Auth = te.ToAuth()
	return resp, nil
}

// newEntryFromRequest reads the fields that do not depend on the parent:
// type, uses, metadata, path, display name and a custom ID.
func (b *backend) newEntryFromRequest(req *logical.Request, d *logical.FieldData, role *tokenRole, sudo bool, now time.Time) (*Entry, bool, error) {
	typ := d.Get("type").(string)
	if role != nil && (role.TokenType == TypeService || role.TokenType == TypeBatch) {
		typ = role.TokenType
	}
	if role != nil && typ == "" && role.TokenType == "default-batch" {
		typ = TypeBatch
	}
	if err := checkTokenType(typ); err != nil {
		return nil, false, err
	}
	numUses := int(d.Get("num_uses").(int64))
	if numUses < 0 {
		return nil, false, logical.InvalidRequest("number of uses cannot be negative")
	}
	if d.Get("entity_alias").(string) != "" {
		if role == nil {
			return nil, false, logical.InvalidRequest("'entity_alias' is only allowed in combination with token role")
		}
		return nil, false, logical.InvalidRequest("entity aliases are not supported yet")
	}
	te := &Entry{
		Path:            tokenStorePathPrefix + req.Path,
		DisplayName:     "token",
		NumUses:         numUses,
		CreationTime:    now,
		Type:            TypeService,
		NoDefaultPolicy: d.Get("no_default_policy").(bool),
	}
	if isBatchType(typ) {
		te.Type = TypeBatch
	}
	if meta, ok, _ := d.GetOk("meta"); ok {
		te.Meta = meta.(map[string]string)
	}
	renewable := d.Get("renewable").(bool)
	if role != nil {
		te.Role = role.Name
		renewable = renewable && role.Renewable
		if role.TokenNumUses > 0 && (te.NumUses == 0 || role.TokenNumUses < te.NumUses) {
			te.NumUses = role.TokenNumUses
		}
		if role.PathSuffix != "" {
			te.Path += "/" + role.PathSuffix
		}
	}
	if name := d.Get("display_name").(string); name != "" {
		te.DisplayName = sanitizeDisplayName("token-" + name)
	}
	if id := d.Get("id").(string); id != "" {
		if !sudo {
			return nil, false, logical.InvalidRequest("root or sudo privileges required to specify token id")
		}
		if err := checkCustomID(id); err != nil {
			return nil, false, err
		}
		te.ID = id
	}
	return te, renewable, nil
}

// sanitizeDisplayName replaces every character but letters, digits and
// '-' with '-', and drops a trailing '-', as Vault does.
func sanitizeDisplayName(s string) string {
	out := []byte(s)
	for i, c := range out {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			out[i] = '-'
		}
	}
	return strings.TrimSuffix(string(out), "-")
}

// checkCustomID applies Vault's rules to a caller-chosen token.
func checkCustomID(id string) error {
	switch {
	case strings.HasPrefix(id, tokenPrefix):
		return logical.InvalidRequest("custom token ID cannot have the 'hvs.' prefix")
	case strings.HasPrefix(id, "s."):
		return logical.InvalidRequest("custom token ID cannot have the 's.' prefix")
	case strings.Contains(id, "."):
		return logical.InvalidRequest("custom token ID cannot have a '.' in the value")
	}
	return nil
}

// chooseOrphan decides whether the new token has a parent: a role decides
// by its orphan flag; no_parent needs root or sudo; create-orphan is
// guarded by the ACL alone.
func chooseOrphan(d *logical.FieldData, role *tokenRole, orphan, sudo bool) (bool, error) {
	switch {
	case role != nil:
		return role.Orphan, nil
	case d.Get("no_parent").(bool):
		if !sudo {
			return false, logical.InvalidRequest("root or sudo privileges required to create orphan token")
		}
		return true, nil
	default:
		return orphan, nil
	}
}

// setTTL works out the token's TTL, period and explicit max TTL.
func (b *backend) setTTL(d *logical.FieldData, role *tokenRole, sudo bool, parent *Entry, isOrphan bool, now time.Time, te *Entry, resp *logical.Response) error {
	explicitMax := d.Get("explicit_max_ttl").(time.Duration)
	period := d.Get("period").(time.Duration)
	if period > 0 && !sudo {
		return logical.InvalidRequest("root or sudo privileges required to create periodic token")
	}
	ttl := d.Get("ttl").(time.Duration)
	if ttl == 0 {
		ttl = d.Get("lease").(time.Duration)
	}
	if role != nil {
		explicitMax = lesserNonZero(explicitMax, role.TokenExplicitMaxTTL)
		period = lesserNonZero(period, role.TokenPeriod)
	}
	if period > 0 || ttl > 0 || !te.IsRoot() {
		got, warnings, err := calculateTTL(b.s.system, ttlRequest{
			now: now, start: now, base: ttl, period: period, explicitMax: explicitMax,
		})
		if err != nil {
			return err
		}
		ttl = got
		resp.Warnings = append(resp.Warnings, warnings...)
	}
	if ttl == 0 && explicitMax > 0 {
		ttl = explicitMax
	}
	if ttl == 0 && !parent.ExpireTime.IsZero() {
		return logical.InvalidRequest("expiring root tokens cannot create non-expiring root tokens")
	}
	if !isOrphan {
		capped, warnings, err := capToParent(ttl, parent, now)
		if err != nil {
			return err
		}
		ttl = capped
		resp.Warnings = append(resp.Warnings, warnings...)
	}
	te.TTL = ttl
	te.GrantedTTL = ttl
	te.Period = period
	te.ExplicitMaxTTL = explicitMax
	if ttl > 0 {
		te.ExpireTime = now.Add(ttl)
	}
	return nil
}

// lesserNonZero returns the smaller of two durations, ignoring zeros.
func lesserNonZero(a, b time.Duration) time.Duration {
	switch {
	case a == 0:
		return b
	case b == 0 || a < b:
		return a
	}
	return b
}

// resolvePolicies decides the new token's policies as Vault does:
//   - a role with allowed or disallowed policies decides alone (the parent's
//     policies do not bound it): the requested policies must be allowed and
//     not disallowed; with none requested the role's allowed set is used,
//     else the parent's; "default" is added unless refused;
//   - with no policies asked, the parent's are inherited;
//   - otherwise a caller without root or sudo may only ask for a subset of
//     its own ("default" added if the parent has it); with root or sudo any
//     set goes and "default" is added.
//
// no_default_policy removes "default" in every case.
func resolvePolicies(d *logical.FieldData, role *tokenRole, parent *Entry, sudo bool) ([]string, error) {
	asked := d.Get("policies").([]string)
	noDefault := d.Get("no_default_policy").(bool)
	var final []string
	switch {
	case role != nil && role.restrictsPolicies():
		var err error
		if final, err = role.policiesFor(asked, parent, noDefault); err != nil {
			return nil, err
		}
	case len(asked) == 0:
		final = tokenutil.SanitizePolicies(parent.Policies, false)
	case !sudo:
		want := tokenutil.SanitizePolicies(asked, false)
		have := tokenutil.SanitizePolicies(parent.Policies, false)
		for _, p := range want {
			if !slices.Contains(have, p) {
				return nil, logical.InvalidRequest("child policies must be subset of parent")
			}
		}
		final = tokenutil.SanitizePolicies(want, !noDefault && slices.Contains(parent.Policies, "default"))
	default:
		final = tokenutil.SanitizePolicies(asked, !noDefault)
	}
	if noDefault {
		final = slices.DeleteFunc(final, func(p string) bool { return p == "default" })
	}
	if err := checkAssignable(final); err != nil {
		return nil, err
	}
	return final, nil
}
