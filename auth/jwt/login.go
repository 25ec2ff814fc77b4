package jwt

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

var loginSchema = map[string]*logical.FieldSchema{
	"role": {Type: logical.TypeString},
	"jwt":  {Type: logical.TypeString},
}

// refused is the 403 of a login whose token fails a check; the message
// names the check as Vault's does, and never holds the token.
func refused(format string, args ...any) error {
	return &logical.CodedError{Status: http.StatusForbidden, Message: fmt.Sprintf(format, args...)}
}

func (b *Backend) login(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: loginSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	conf, err := loadConfig(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	if conf == nil {
		return nil, logical.InvalidRequest("could not load configuration")
	}
	roleName := strings.ToLower(strings.TrimSpace(fd.Get("role").(string)))
	if roleName == "" {
		roleName = conf.DefaultRole
	}
	if roleName == "" {
		return nil, logical.InvalidRequest("missing role")
	}
	r, err := loadRole(ctx, req.Storage, roleName)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, logical.InvalidRequest("role %q could not be found", roleName)
	}
	if r.RoleType == roleTypeOIDC {
		return nil, logical.InvalidRequest("role with oidc role_type is not allowed")
	}
	token := strings.TrimSpace(fd.Get("jwt").(string))
	if token == "" {
		return nil, logical.InvalidRequest("missing token")
	}
	if !tokenutil.AddrInCIDRs(req.RemoteAddr, r.TokenBoundCIDRs) {
		return nil, logical.ErrPermissionDenied
	}
	keys, err := b.keysFor(ctx, conf)
	if err != nil {
		return nil, err
	}
	claims, err := b.validate(ctx, keys, conf, r, token)
	if err != nil {
		return nil, refused("error validating token: %v", err)
	}
	auth, err := r.auth(roleName, claims)
	if err != nil {
		return nil, refused("%v", err)
	}
	if err := checkBoundClaims(r.BoundClaimsType, r.BoundClaims, claims); err != nil {
		return nil, refused("error validating claims: %v", err)
	}
	return &logical.Response{Auth: auth}, nil
}

// validate checks the signature, then the registered claims against the
// configuration and role, and returns all the token's claims.
func (b *Backend) validate(ctx context.Context, keys *keyCache, conf *config, r *role, token string) (map[string]any, error) {
	algs := conf.algorithms()
	jws, err := jose.ParseSignedCompact(token, algs)
	if err != nil {
		if alg, ok := headerAlg(token); ok && !slices.Contains(algs, jose.SignatureAlgorithm(alg)) {
			return nil, errors.New("invalid algorithm (alg) header parameter: token signed with unexpected algorithm")
		}
		return nil, errors.New("error verifying token signature: malformed token")
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("token with multiple signatures not supported")
	}
	payload, err := b.verify(ctx, keys, jws)
	if err != nil {
		return nil, fmt.Errorf("error verifying token signature: %w", err)
	}
	all := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&all); err != nil {
		return nil, errors.New("token payload is not a JSON object")
	}
	var reg josejwt.Claims
	if err := json.Unmarshal(payload, &reg); err != nil {
		return nil, fmt.Errorf("invalid registered claims: %w", err)
	}
	if conf.BoundIssuer != "" && conf.BoundIssuer != reg.Issuer {
		return nil, errors.New("invalid issuer (iss) claim")
	}
	if r.BoundSubject != "" && r.BoundSubject != reg.Subject {
		return nil, errors.New("invalid subject (sub) claim")
	}
	if len(r.BoundAudiences) > 0 && !slices.ContainsFunc(r.BoundAudiences, reg.Audience.Contains) {
		return nil, errors.New("invalid audience (aud) claim: audience claim does not match any expected audience")
	}
	if err := checkTimes(&reg, b.system.Now(), r); err != nil {
		return nil, err
	}
	if len(r.BoundAudiences) == 0 && slices.ContainsFunc(reg.Audience, func(a string) bool { return a != "" }) {
		return nil, errors.New("audience claim found in JWT but no audiences bound to the role")
	}
	return all, nil
}

// headerAlg reads the alg of a compact JWS's header without trusting it,
// only to say why the token was refused.
func headerAlg(token string) (string, bool) {
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return "", false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(raw, &h) != nil || h.Alg == "" {
		return "", false
	}
	return h.Alg, true
}

// checkTimes applies exp, nbf and iat with the role's leeways, as Vault
// does: at least one must be present; a missing exp is the later of iat
// and nbf plus expiration_leeway; a missing nbf is iat, or exp less
// not_before_leeway; clock_skew_leeway widens every comparison.
func checkTimes(c *josejwt.Claims, now time.Time, r *role) error {
	expLeeway, nbfLeeway, skew := r.leeways()
	secs := func(d *josejwt.NumericDate) int64 {
		if d == nil {
			return 0
		}
		return int64(*d)
	}
	iat, exp, nbf := secs(c.IssuedAt), secs(c.Expiry), secs(c.NotBefore)
	if iat == 0 && exp == 0 && nbf == 0 {
		return errors.New("no issued at (iat), not before (nbf), or expiration time (exp) claims in token")
	}
	if exp == 0 {
		exp = max(iat, nbf) + int64(expLeeway/time.Second)
	}
	if nbf == 0 {
		nbf = iat
		if iat == 0 {
			nbf = exp - int64(nbfLeeway/time.Second)
		}
	}
	switch {
	case now.Add(skew).Before(time.Unix(nbf, 0)):
		return errors.New("invalid not before (nbf) claim: token not yet valid")
	case now.Add(-skew).After(time.Unix(exp, 0)):
		return errors.New("invalid expiration time (exp) claim: token is expired")
	case iat != 0 && now.Add(skew).Before(time.Unix(iat, 0)):
		return errors.New("invalid issued at (iat) claim: token issued in the future")
	}
	return nil
}

// auth builds the token a login asks core to mint: its alias is named by
// the user_claim and carries the mapped claims (and the role) as metadata,
// for the identity store and its policy templates; the token's metadata is
// the same. The groups, for group aliases once the identity store takes
// them, are kept in InternalData under "group_aliases".
func (r *role) auth(roleName string, claims map[string]any) (*logical.Auth, error) {
	var user any
	if r.UserClaimJSONPointer {
		user = getClaim(claims, r.UserClaim)
	} else {
		user = claims[r.UserClaim]
	}
	if user == nil {
		return nil, fmt.Errorf("claim %q not found in token", r.UserClaim)
	}
	name, ok := user.(string)
	if !ok || name == "" {
		return nil, fmt.Errorf("claim %q could not be converted to string", r.UserClaim)
	}
	metadata, err := mapClaims(claims, r.ClaimMappings)
	if err != nil {
		return nil, err
	}
	metadata["role"] = roleName
	groups, err := r.groups(claims)
	if err != nil {
		return nil, err
	}
	internal := map[string]any{"role": roleName}
	if len(groups) > 0 {
		internal["group_aliases"] = groups
	}
	a := &logical.Auth{
		DisplayName:  name,
		Metadata:     metadata,
		Alias:        &logical.Alias{Name: name, Metadata: maps.Clone(metadata)},
		InternalData: internal,
	}
	r.PopulateTokenAuth(a)
	return a, nil
}

func (r *role) groups(claims map[string]any) ([]string, error) {
	if r.GroupsClaim == "" {
		return nil, nil
	}
	raw := getClaim(claims, r.GroupsClaim)
	if raw == nil {
		return nil, fmt.Errorf("failed to fetch groups: %q claim not found in token", r.GroupsClaim)
	}
	list, ok := normalizeList(raw)
	if !ok {
		return nil, fmt.Errorf("%q claim could not be converted to string list", r.GroupsClaim)
	}
	var out []string
	for _, g := range list {
		s, ok := g.(string)
		if !ok {
			return nil, fmt.Errorf("value %v in groups claim could not be parsed as string", g)
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// renew answers core's renewal of a token this method issued: the role
// must still exist, and the token takes its current TTLs.
func (b *Backend) renew(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	if req.Auth == nil {
		return nil, logical.InvalidRequest("renew: no auth to renew")
	}
	roleName, _ := req.Auth.InternalData["role"].(string)
	if roleName == "" {
		return nil, refused("permission denied: the token carries no role to renew against")
	}
	r, err := loadRole(ctx, req.Storage, roleName)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, refused("permission denied: role %q no longer exists", roleName)
	}
	return r.Renewed(req.Auth), nil
}
