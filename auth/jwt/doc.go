// Package jwt is the JWT/OIDC auth method, mounted as type "jwt" or "oidc"
// as in Vault. A client presents a JWT it already holds (a GitHub Actions or
// GitLab CI ID token, a Kubernetes service-account token from another
// cluster) and gets a token scoped by a role; there is no secret to hand out.
//
// The issuer's signing keys come from exactly one source: OIDC discovery
// (oidc_discovery_url), a JWKS URL (jwks_url) or PEM public keys
// (jwt_validation_pubkeys). Remote keys are fetched when the configuration
// is written (a configuration whose keys cannot be fetched is refused),
// held in memory, refreshed in the background on a schedule and at once
// when a token names an unknown key ID (at most once per
// Options.MinRefreshInterval, so random key IDs cannot make vaultd hammer
// the issuer). A login with cached keys makes no network call.
//
// Signatures are checked by github.com/go-jose/go-jose/v4 against the
// algorithms the configuration allows (never "none", never HMAC). Then the
// issuer, audience, subject, times (with the role's leeways) and bound
// claims (exact or glob, with JSON-pointer paths such as /project/path) are
// checked, and the login returns a token whose alias name is the role's
// user_claim and whose alias metadata holds the role's claim_mappings.
//
// The browser (OIDC authorization-code) flow is not served: roles of
// role_type "oidc" can be written, as in Vault, but only "jwt" roles log in.
package jwt
