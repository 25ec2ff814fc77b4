package jwt

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vaultd/vaultd/auth/authutil"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

var roleSchema = tokenutil.AddLegacyFields(tokenutil.AddTokenFields(map[string]*logical.FieldSchema{
	"role_type":               {Type: logical.TypeString},
	"bound_audiences":         {Type: logical.TypeStringList},
	"bound_subject":           {Type: logical.TypeString},
	"bound_claims_type":       {Type: logical.TypeString, Default: boundClaimsString},
	"bound_claims":            {Type: logical.TypeMap},
	"claim_mappings":          {Type: logical.TypeStringMap},
	"user_claim":              {Type: logical.TypeString},
	"user_claim_json_pointer": {Type: logical.TypeBool},
	"groups_claim":            {Type: logical.TypeString},
	"allowed_redirect_uris":   {Type: logical.TypeStringList},
	"oidc_scopes":             {Type: logical.TypeStringList},
	"verbose_oidc_logging":    {Type: logical.TypeBool},
	"max_age":                 {Type: logical.TypeDuration},
}))

// leewayFields take signed seconds, so they are read apart from the schema.
var leewayFields = []string{"expiration_leeway", "not_before_leeway", "clock_skew_leeway"}

func (b *Backend) listRoles(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	return authutil.List(ctx, req.Storage, rolePrefix, "jwt auth: list roles")
}

func (b *Backend) deleteRole(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	if err := req.Storage.Delete(ctx, roleKey(name)); err != nil {
		return nil, fmt.Errorf("jwt auth: delete role: %w", err)
	}
	return nil, nil
}

func (b *Backend) readRole(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	r, err := loadRole(ctx, req.Storage, name)
	if err != nil || r == nil {
		return nil, err
	}
	secs := func(d time.Duration) int64 { return int64(d / time.Second) }
	boundClaims := r.BoundClaims
	if boundClaims == nil {
		boundClaims = map[string]any{}
	}
	mappings := r.ClaimMappings
	if mappings == nil {
		mappings = map[string]string{}
	}
	d := map[string]any{
		"role_type":               r.RoleType,
		"expiration_leeway":       secs(r.ExpirationLeeway),
		"not_before_leeway":       secs(r.NotBeforeLeeway),
		"clock_skew_leeway":       secs(r.ClockSkewLeeway),
		"bound_audiences":         nonNil(r.BoundAudiences),
		"bound_subject":           r.BoundSubject,
		"bound_claims_type":       r.BoundClaimsType,
		"bound_claims":            boundClaims,
		"claim_mappings":          mappings,
		"user_claim":              r.UserClaim,
		"user_claim_json_pointer": r.UserClaimJSONPointer,
		"groups_claim":            r.GroupsClaim,
		"allowed_redirect_uris":   nonNil(r.AllowedRedirectURIs),
		"oidc_scopes":             nonNil(r.OIDCScopes),
		"verbose_oidc_logging":    r.VerboseOIDCLogging,
		"max_age":                 secs(r.MaxAge),
	}
	r.PopulateTokenData(d)
	r.PopulateLegacyData(d, &r.TokenParams)
	return &logical.Response{Data: d}, nil
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
		r = &role{
			ExpirationLeeway: defaultClaimLeeway * time.Second,
			NotBeforeLeeway:  defaultClaimLeeway * time.Second,
			ClockSkewLeeway:  defaultClockSkew * time.Second,
		}
	}
	if v, ok, _ := fd.GetOk("role_type"); ok || creating {
		r.RoleType = strings.TrimSpace(v.(string))
	}
	if r.RoleType == "" {
		r.RoleType = roleTypeOIDC
	}
	if r.RoleType != roleTypeJWT && r.RoleType != roleTypeOIDC {
		return nil, logical.InvalidRequest("invalid 'role_type': %s", r.RoleType)
	}
	if err := r.ParseTokenFields(fd); err != nil {
		return nil, err
	}
	if err := r.Upgrade(fd, &r.TokenParams, "ttl should not be greater than max ttl"); err != nil {
		return nil, err
	}
	warnings, err := r.CheckTokenFields(b.system.MaxLeaseTTL())
	if err != nil {
		return nil, err
	}
	if err := r.applyLeeways(req.Data); err != nil {
		return nil, err
	}
	if err := r.applyBindings(fd); err != nil {
		return nil, err
	}
	if err := r.applyClaims(fd); err != nil {
		return nil, err
	}
	if r.RoleType == roleTypeOIDC && len(r.AllowedRedirectURIs) == 0 {
		return nil, logical.InvalidRequest("'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.")
	}
	if r.RoleType == roleTypeJWT && len(r.BoundAudiences) == 0 && len(r.TokenBoundCIDRs) == 0 &&
		r.BoundSubject == "" && len(r.BoundClaims) == 0 {
		return nil, logical.InvalidRequest("must have at least one bound constraint when creating/updating a role")
	}
	if r.VerboseOIDCLogging {
		warnings = append(warnings, "verbose_oidc_logging has been enabled for this role; vaultd does not serve the OIDC browser flow, so it has no effect")
	}
	value, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("jwt auth: encode role: %w", err)
	}
	if err := req.Storage.Put(ctx, &logical.StorageEntry{Key: roleKey(name), Value: value}); err != nil {
		return nil, fmt.Errorf("jwt auth: write role: %w", err)
	}
	if len(warnings) == 0 {
		return nil, nil
	}
	return &logical.Response{Warnings: warnings}, nil
}

func (r *role) applyLeeways(raw map[string]any) error {
	dst := map[string]*time.Duration{
		"expiration_leeway": &r.ExpirationLeeway,
		"not_before_leeway": &r.NotBeforeLeeway,
		"clock_skew_leeway": &r.ClockSkewLeeway,
	}
	for _, field := range leewayFields {
		v, ok := raw[field]
		if !ok || v == nil {
			continue
		}
		d, err := parseSignedSeconds(v)
		if err != nil {
			return logical.InvalidRequest("error converting input for field %q: %v", field, err)
		}
		*dst[field] = d.Truncate(time.Second)
	}
	return nil
}

func (r *role) applyBindings(fd *logical.FieldData) error {
	if v, ok, _ := fd.GetOk("bound_audiences"); ok {
		r.BoundAudiences = v.([]string)
	}
	if v, ok, _ := fd.GetOk("bound_subject"); ok {
		r.BoundSubject = strings.TrimSpace(v.(string))
	}
	if v, ok, _ := fd.GetOk("max_age"); ok {
		r.MaxAge = v.(time.Duration)
	}
	for field, dst := range map[string]*[]string{"allowed_redirect_uris": &r.AllowedRedirectURIs, "oidc_scopes": &r.OIDCScopes} {
		if v, ok, _ := fd.GetOk(field); ok {
			*dst = v.([]string)
		}
	}
	if v, ok, _ := fd.GetOk("verbose_oidc_logging"); ok {
		r.VerboseOIDCLogging = v.(bool)
	}
	if v, ok, _ := fd.GetOk("bound_claims_type"); ok || r.BoundClaimsType == "" {
		r.BoundClaimsType = strings.TrimSpace(v.(string))
	}
	typ := r.BoundClaimsType
	if typ != boundClaimsString && typ != boundClaimsGlob {
		return logical.InvalidRequest("invalid 'bound_claims_type': %s", typ)
	}
	if v, ok, _ := fd.GetOk("bound_claims"); ok {
		r.BoundClaims = v.(map[string]any)
	}
	for claim, want := range r.BoundClaims {
		values, ok := normalizeList(want)
		if !ok {
			return logical.InvalidRequest("claim is not a string or list: %v", want)
		}
		if claim == "" {
			return logical.InvalidRequest("bound_claims names an empty claim")
		}
		if typ == boundClaimsGlob {
			for _, v := range values {
				if _, ok := v.(string); !ok {
					return logical.InvalidRequest("claim is not a string: %v", v)
				}
			}
		}
	}
	return nil
}

func (r *role) applyClaims(fd *logical.FieldData) error {
	if v, ok, _ := fd.GetOk("claim_mappings"); ok {
		mappings := v.(map[string]string)
		targets := map[string]bool{}
		for _, target := range mappings {
			if slices.Contains(reservedMetadata, target) {
				return logical.InvalidRequest("metadata key %q is reserved and may not be a mapping destination", target)
			}
			if targets[target] {
				return logical.InvalidRequest("multiple keys are mapped to metadata key %q", target)
			}
			targets[target] = true
		}
		r.ClaimMappings = mappings
	}
	if v, ok, _ := fd.GetOk("user_claim"); ok {
		r.UserClaim = strings.TrimSpace(v.(string))
	}
	if r.UserClaim == "" {
		return logical.InvalidRequest("a user claim must be defined on the role")
	}
	if v, ok, _ := fd.GetOk("user_claim_json_pointer"); ok {
		r.UserClaimJSONPointer = v.(bool)
	}
	if v, ok, _ := fd.GetOk("groups_claim"); ok {
		r.GroupsClaim = strings.TrimSpace(v.(string))
	}
	return nil
}
