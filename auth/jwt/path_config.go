package jwt

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/vaultd/vaultd/logical"
)

const configKey = "config"

// config is the stored configuration. The OIDC client secret is kept in
// the mount's storage view, inside the barrier, and never returned by a
// read.
type config struct {
	OIDCDiscoveryURL     string         `json:"oidc_discovery_url"`
	OIDCDiscoveryCAPEM   string         `json:"oidc_discovery_ca_pem"`
	OIDCClientID         string         `json:"oidc_client_id"`
	OIDCClientSecret     string         `json:"oidc_client_secret"`
	OIDCResponseMode     string         `json:"oidc_response_mode"`
	OIDCResponseTypes    []string       `json:"oidc_response_types"`
	JWKSURL              string         `json:"jwks_url"`
	JWKSCAPEM            string         `json:"jwks_ca_pem"`
	JWTValidationPubKeys []string       `json:"jwt_validation_pubkeys"`
	JWTSupportedAlgs     []string       `json:"jwt_supported_algs"`
	BoundIssuer          string         `json:"bound_issuer"`
	DefaultRole          string         `json:"default_role"`
	ProviderConfig       map[string]any `json:"provider_config"`
	NamespaceInState     bool           `json:"namespace_in_state"`
}

var configSchema = map[string]*logical.FieldSchema{
	"oidc_discovery_url":     {Type: logical.TypeString},
	"oidc_discovery_ca_pem":  {Type: logical.TypeString},
	"oidc_client_id":         {Type: logical.TypeString},
	"oidc_client_secret":     {Type: logical.TypeString},
	"oidc_response_mode":     {Type: logical.TypeString},
	"oidc_response_types":    {Type: logical.TypeStringList},
	"jwks_url":               {Type: logical.TypeString},
	"jwks_ca_pem":            {Type: logical.TypeString},
	"jwks_pairs":             {Type: logical.TypeString},
	"jwt_validation_pubkeys": {Type: logical.TypeStringList},
	"jwt_supported_algs":     {Type: logical.TypeStringList},
	"bound_issuer":           {Type: logical.TypeString},
	"default_role":           {Type: logical.TypeString},
	"provider_config":        {Type: logical.TypeMap},
	"namespace_in_state":     {Type: logical.TypeBool},
}

// supportedAlgs are the signature algorithms a configuration may allow,
// and those allowed when it names none: asymmetric ones only.
var supportedAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.EdDSA,
}

func (c *config) source() keySource {
	switch {
	case c.OIDCDiscoveryURL != "":
		return keySource{discoveryURL: c.OIDCDiscoveryURL, caPEM: c.OIDCDiscoveryCAPEM}
	case c.JWKSURL != "":
		return keySource{jwksURL: c.JWKSURL, caPEM: c.JWKSCAPEM}
	}
	return keySource{static: c.JWTValidationPubKeys}
}

// algorithms are the signature algorithms a login accepts.
func (c *config) algorithms() []jose.SignatureAlgorithm {
	if len(c.JWTSupportedAlgs) == 0 {
		return supportedAlgs
	}
	out := make([]jose.SignatureAlgorithm, 0, len(c.JWTSupportedAlgs))
	for _, a := range c.JWTSupportedAlgs {
		out = append(out, jose.SignatureAlgorithm(a))
	}
	return out
}

func loadConfig(ctx context.Context, s logical.Storage) (*config, error) {
	entry, err := s.Get(ctx, configKey)
	if err != nil {
		return nil, fmt.Errorf("jwt auth: read config: %w", err)
	}
	if entry == nil {
		return nil, nil
	}
	var c config
	if err := json.Unmarshal(entry.Value, &c); err != nil {
		return nil, fmt.Errorf("jwt auth: decode config: %w", err)
	}
	return &c, nil
}

func (b *Backend) readConfig(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	c, err := loadConfig(ctx, req.Storage)
	if err != nil || c == nil {
		return nil, err
	}
	provider := c.ProviderConfig
	if provider == nil {
		provider = map[string]any{}
	}
	return &logical.Response{Data: map[string]any{
		"oidc_discovery_url":     c.OIDCDiscoveryURL,
		"oidc_discovery_ca_pem":  c.OIDCDiscoveryCAPEM,
		"oidc_client_id":         c.OIDCClientID,
		"oidc_response_mode":     c.OIDCResponseMode,
		"oidc_response_types":    nonNil(c.OIDCResponseTypes),
		"default_role":           c.DefaultRole,
		"jwt_validation_pubkeys": nonNil(c.JWTValidationPubKeys),
		"jwt_supported_algs":     nonNil(c.JWTSupportedAlgs),
		"jwks_url":               c.JWKSURL,
		"jwks_ca_pem":            c.JWKSCAPEM,
		"jwks_pairs":             []any{},
		"bound_issuer":           c.BoundIssuer,
		"provider_config":        provider,
		"namespace_in_state":     c.NamespaceInState,
	}}, nil
}

// writeConfig replaces the configuration, as Vault's does: fields left out
// take their defaults. Remote keys are fetched before anything is written;
// a configuration whose keys cannot be had is refused.
func (b *Backend) writeConfig(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: configSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	str := func(k string) string { return strings.TrimSpace(fd.Get(k).(string)) }
	c := &config{
		OIDCDiscoveryURL:     str("oidc_discovery_url"),
		OIDCDiscoveryCAPEM:   str("oidc_discovery_ca_pem"),
		OIDCClientID:         str("oidc_client_id"),
		OIDCClientSecret:     str("oidc_client_secret"),
		OIDCResponseMode:     str("oidc_response_mode"),
		OIDCResponseTypes:    fd.Get("oidc_response_types").([]string),
		JWKSURL:              str("jwks_url"),
		JWKSCAPEM:            str("jwks_ca_pem"),
		JWTValidationPubKeys: fd.Get("jwt_validation_pubkeys").([]string),
		JWTSupportedAlgs:     fd.Get("jwt_supported_algs").([]string),
		BoundIssuer:          str("bound_issuer"),
		DefaultRole:          strings.ToLower(str("default_role")),
		ProviderConfig:       fd.Get("provider_config").(map[string]any),
	}
	if _, set := req.Data["jwks_pairs"]; set {
		return nil, logical.InvalidRequest("'jwks_pairs' is not supported by vaultd; use 'jwks_url' or 'oidc_discovery_url'")
	}
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	existing, err := loadConfig(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	if v, ok, _ := fd.GetOk("namespace_in_state"); ok {
		c.NamespaceInState = v.(bool)
	} else {
		c.NamespaceInState = existing == nil || existing.NamespaceInState
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	keys, err := b.checkKeys(ctx, c)
	if err != nil {
		return nil, err
	}
	value, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("jwt auth: encode config: %w", err)
	}
	if err := req.Storage.Put(ctx, &logical.StorageEntry{Key: configKey, Value: value}); err != nil {
		return nil, fmt.Errorf("jwt auth: write config: %w", err)
	}
	b.install(keys)
	return nil, nil
}

// validate checks everything that needs no network.
func (c *config) validate() error {
	sources := 0
	for _, set := range []bool{c.OIDCDiscoveryURL != "", c.JWKSURL != "", len(c.JWTValidationPubKeys) > 0} {
		if set {
			sources++
		}
	}
	switch {
	case sources != 1:
		return logical.InvalidRequest("exactly one of 'jwt_validation_pubkeys', 'jwks_url' or 'oidc_discovery_url' must be set")
	case (c.OIDCClientID == "") != (c.OIDCClientSecret == ""):
		return logical.InvalidRequest("both 'oidc_client_id' and 'oidc_client_secret' must be set for OIDC")
	case c.OIDCClientID != "" && c.OIDCDiscoveryURL == "":
		return logical.InvalidRequest("'oidc_discovery_url' must be set for OIDC")
	case c.OIDCDiscoveryCAPEM != "" && c.OIDCDiscoveryURL == "":
		return logical.InvalidRequest("'oidc_discovery_ca_pem' is set but 'oidc_discovery_url' is not")
	case c.JWKSCAPEM != "" && c.JWKSURL == "":
		return logical.InvalidRequest("'jwks_ca_pem' is set but 'jwks_url' is not")
	}
	for field, u := range map[string]string{"oidc_discovery_url": c.OIDCDiscoveryURL, "jwks_url": c.JWKSURL} {
		if u == "" {
			continue
		}
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
			return logical.InvalidRequest("invalid %s %q: must be an http or https URL", field, u)
		}
	}
	for _, a := range c.JWTSupportedAlgs {
		if !slices.Contains(supportedAlgs, jose.SignatureAlgorithm(a)) {
			return logical.InvalidRequest("invalid jwt_supported_algs: unsupported signing algorithm: %s", a)
		}
	}
	for _, t := range c.OIDCResponseTypes {
		if t != "code" && t != "id_token" {
			return logical.InvalidRequest("invalid response_types %v. 'code' and 'id_token' are allowed", c.OIDCResponseTypes)
		}
	}
	switch c.OIDCResponseMode {
	case "", "query":
		if slices.Contains(c.OIDCResponseTypes, "id_token") {
			return logical.InvalidRequest("query response_mode may not be used with an id_token response_type")
		}
	case "form_post":
	default:
		return logical.InvalidRequest("invalid response_mode: %q", c.OIDCResponseMode)
	}
	return nil
}

// checkKeys builds the configuration's key cache, fetching remote keys
// now; any failure is the operator's 400.
func (b *Backend) checkKeys(ctx context.Context, c *config) (*keyCache, error) {
	src := c.source()
	keys, err := newKeyCache(src, b.opts.FetchTimeout)
	if err != nil {
		return nil, logical.InvalidRequest("%v", err)
	}
	if !src.remote() {
		return keys, nil
	}
	keys.fetchMu.Lock()
	err = keys.fetch(ctx, b.system.Now(), b.opts.FetchTimeout)
	keys.fetchMu.Unlock()
	b.observeFetch(src, err)
	if err != nil {
		b.logger.Warn("jwt auth: configuration refused: cannot fetch the issuer's keys", "error", err)
		if src.discoveryURL != "" {
			return nil, logical.InvalidRequest("error checking oidc discovery URL: %v", err)
		}
		return nil, logical.InvalidRequest("error checking jwks URL: %v", err)
	}
	return keys, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
