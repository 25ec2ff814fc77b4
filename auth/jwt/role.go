package jwt

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

const rolePrefix = "role/"

// Role types and bound-claim matching modes, as Vault names them.
const (
	roleTypeJWT       = "jwt"
	roleTypeOIDC      = "oidc"
	boundClaimsString = "string"
	boundClaimsGlob   = "glob"
)

// Vault's leeway defaults, in seconds: for exp and nbf when the token
// lacks one of them, and the clock skew allowed on every time claim.
const (
	defaultClaimLeeway = 150
	defaultClockSkew   = 60
)

// reservedMetadata may not be the target of a claim mapping.
var reservedMetadata = []string{"role"}

// role binds tokens by their claims to token properties.
type role struct {
	RoleType             string            `json:"role_type"`
	BoundAudiences       []string          `json:"bound_audiences"`
	BoundSubject         string            `json:"bound_subject"`
	BoundClaimsType      string            `json:"bound_claims_type"`
	BoundClaims          map[string]any    `json:"bound_claims"`
	ClaimMappings        map[string]string `json:"claim_mappings"`
	UserClaim            string            `json:"user_claim"`
	UserClaimJSONPointer bool              `json:"user_claim_json_pointer"`
	GroupsClaim          string            `json:"groups_claim"`
	ExpirationLeeway     time.Duration     `json:"expiration_leeway"`
	NotBeforeLeeway      time.Duration     `json:"not_before_leeway"`
	ClockSkewLeeway      time.Duration     `json:"clock_skew_leeway"`
	AllowedRedirectURIs  []string          `json:"allowed_redirect_uris"`
	OIDCScopes           []string          `json:"oidc_scopes"`
	VerboseOIDCLogging   bool              `json:"verbose_oidc_logging"`
	MaxAge               time.Duration     `json:"max_age"`

	tokenutil.TokenParams
	tokenutil.LegacyParams
}

func roleKey(name string) string { return rolePrefix + strings.ToLower(name) }

func loadRole(ctx context.Context, s logical.Storage, name string) (*role, error) {
	entry, err := s.Get(ctx, roleKey(name))
	if err != nil {
		return nil, fmt.Errorf("jwt auth: read role: %w", err)
	}
	if entry == nil {
		return nil, nil
	}
	r := &role{}
	dec := json.NewDecoder(strings.NewReader(string(entry.Value)))
	dec.UseNumber()
	if err := dec.Decode(r); err != nil {
		return nil, fmt.Errorf("jwt auth: decode role: %w", err)
	}
	return r, nil
}

// leeways returns the role's leeways as the checks use them: zero means
// the default, a negative value none.
func (r *role) leeways() (exp, nbf, skew time.Duration) {
	pick := func(v time.Duration, def int) time.Duration {
		switch {
		case v < 0:
			return 0
		case v == 0:
			return time.Duration(def) * time.Second
		}
		return v
	}
	return pick(r.ExpirationLeeway, defaultClaimLeeway), pick(r.NotBeforeLeeway, defaultClaimLeeway),
		pick(r.ClockSkewLeeway, defaultClockSkew)
}

// parseSignedSeconds reads a leeway: a number of seconds (5, "5", -1) or a
// duration ("2m", "-1s").
func parseSignedSeconds(raw any) (time.Duration, error) {
	switch v := raw.(type) {
	case json.Number:
		raw = v.String()
	case float64:
		if v != float64(int64(v)) {
			return 0, fmt.Errorf("%v is not a whole number of seconds", v)
		}
		return time.Duration(v) * time.Second, nil
	case int:
		return time.Duration(v) * time.Second, nil
	case int64:
		return time.Duration(v) * time.Second, nil
	}
	s, ok := raw.(string)
	if !ok {
		return 0, fmt.Errorf("expected seconds or a duration, got %T", raw)
	}
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not seconds or a duration", s)
	}
	return d, nil
}
