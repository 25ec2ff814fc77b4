package e2e

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

const (
	ghIssuer   = "https://token.actions.githubusercontent.com"
	ghAudience = "https://github.com/octo-org"
)

func ghClaims(ref string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss":              ghIssuer,
		"aud":              ghAudience,
		"sub":              "repo:octo-org/octo-repo:ref:" + ref,
		"repository":       "octo-org/octo-repo",
		"repository_owner": "octo-org",
		"ref":              ref,
		"job_workflow_ref": "octo-org/octo-repo/.github/workflows/deploy.yml@" + ref,
		"iat":              now.Unix(),
		"nbf":              now.Unix(),
		"exp":              now.Add(5 * time.Minute).Unix(),
	}
}

// setupGitHubJWT enables the jwt method against the test's JWKS and
// writes a deploy policy and a role admitting octo-org/octo-repo's main
// branch by a glob on ref.
func setupGitHubJWT(t testing.TB, s *vaulttest.Server, jwks *jwksServer) {
	t.Helper()
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	root := s.Client
	must(root.Sys().EnableAuthWithOptions("jwt", &api.EnableAuthOptions{Type: "jwt"}), "auth enable jwt")
	_, err := root.Logical().Write("auth/jwt/config", map[string]any{
		"jwks_url":     jwks.srv.URL,
		"jwks_ca_pem":  jwks.caPEM(),
		"bound_issuer": ghIssuer,
	})
	must(err, "jwt config")
	must(root.Sys().PutPolicy("deploy", `path "secret/data/deploy/*" { capabilities = ["read"] }`), "policy")
	_, err = root.Logical().Write("auth/jwt/role/deploy", map[string]any{
		"role_type":         "jwt",
		"user_claim":        "repository",
		"bound_audiences":   []string{ghAudience},
		"bound_claims_type": "glob",
		"bound_claims":      map[string]any{"ref": "refs/heads/mai*", "repository": "octo-org/*"},
		"claim_mappings":    map[string]any{"repository": "repository", "job_workflow_ref": "workflow"},
		"token_policies":    []string{"deploy"},
		"token_ttl":         "15m",
	})
	must(err, "role write")
}

// TestJWTGitHubActionsLogin: a pipeline logs in with its OIDC token through
// vault/api, reads its secret, and its token's metadata carries the mapped
// claims; a feature branch is refused; the JWKS rotating is followed.
func TestJWTGitHubActionsLogin(t *testing.T) {
	ctx := context.Background()
	jwks := newJWKSServer(t, "gh-1")
	s := vaulttest.Start(t, vaulttest.Options{})
	setupGitHubJWT(t, s, jwks)
	_, err := s.Client.KVv2("secret").Put(ctx, "deploy/prod", map[string]any{"TOKEN": "prod-deploy-token"})
	must(t, err, "kv put")

	ci := s.NewClient("")
	sec, err := ci.Logical().Write("auth/jwt/login", map[string]any{
		"role": "deploy", "jwt": signJWT(t, jwks.key("gh-1"), "gh-1", ghClaims("refs/heads/main")),
	})
	must(t, err, "main-branch login")
	if sec.Auth == nil || !contains(sec.Auth.Policies, "deploy") || sec.Auth.LeaseDuration != 900 {
		t.Fatalf("login auth: %+v", sec.Auth)
	}
	md := sec.Auth.Metadata
	if md["repository"] != "octo-org/octo-repo" || md["role"] != "deploy" ||
		md["workflow"] != "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main" {
		t.Fatalf("login metadata: %v", md)
	}
	ci.SetToken(sec.Auth.ClientToken)
	got, err := ci.KVv2("secret").Get(ctx, "deploy/prod")
	must(t, err, "pipeline reads its secret")
	if got.Data["TOKEN"] != "prod-deploy-token" {
		t.Fatalf("read %v", got.Data)
	}
	self, err := ci.Auth().Token().LookupSelf()
	must(t, err, "lookup-self")
	if self.Data["path"] != "auth/jwt/login" {
		t.Fatalf("token path %v", self.Data["path"])
	}
	_, err = ci.Auth().Token().RenewSelf(0)
	must(t, err, "renew")

	anon := s.NewClient("")
	_, err = anon.Logical().Write("auth/jwt/login", map[string]any{
		"role": "deploy", "jwt": signJWT(t, jwks.key("gh-1"), "gh-1", ghClaims("refs/heads/feature")),
	})
	wantStatus(t, err, http.StatusForbidden, "feature branch")

	// Rotation: the provider publishes a new key and drops the old one.
	old := jwks.rotate(t, "gh-2")
	_, err = anon.Logical().Write("auth/jwt/login", map[string]any{
		"role": "deploy", "jwt": signJWT(t, jwks.key("gh-2"), "gh-2", ghClaims("refs/heads/main")),
	})
	must(t, err, "login with the new key")
	_, err = anon.Logical().Write("auth/jwt/login", map[string]any{
		"role": "deploy", "jwt": signJWT(t, old["gh-1"], "gh-1", ghClaims("refs/heads/main")),
	})
	wantStatus(t, err, http.StatusForbidden, "login with the removed key")
	if n := jwks.fetches.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (config, rotation)", n)
	}
}

// TestJWTBadInput: every bad login and configuration named by the issue is
// a clear 4xx over HTTP, and none leaves a token or a changed config.
func TestJWTBadInput(t *testing.T) {
	jwks := newJWKSServer(t, "gh-1")
	s := vaulttest.Start(t, vaulttest.Options{})
	setupGitHubJWT(t, s, jwks)
	key := jwks.key("gh-1")
	before, err := s.Client.Logical().List("auth/token/accessors")
	must(t, err, "list accessors")

	enc := base64.RawURLEncoding
	good := signJWT(t, key, "gh-1", ghClaims("refs/heads/main"))
	payload := strings.Split(good, ".")[1]
	with := func(k string, v any) map[string]any {
		c := ghClaims("refs/heads/main")
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	expired := ghClaims("refs/heads/main")
	expired["iat"], expired["nbf"], expired["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()

	logins := []struct {
		name   string
		data   map[string]any
		status int
	}{
		{"alg none", map[string]any{"role": "deploy", "jwt": enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + payload + "."}, http.StatusForbidden},
		{"HS256 signed with the public key", map[string]any{"role": "deploy", "jwt": hs256(t, publicPEM(t, key), ghClaims("refs/heads/main"))}, http.StatusForbidden},
		{"expired", map[string]any{"role": "deploy", "jwt": signJWT(t, key, "gh-1", expired)}, http.StatusForbidden},
		{"wrong issuer", map[string]any{"role": "deploy", "jwt": signJWT(t, key, "gh-1", with("iss", "https://evil.example"))}, http.StatusForbidden},
		{"missing user claim", map[string]any{"role": "deploy", "jwt": signJWT(t, key, "gh-1", with("repository", nil))}, http.StatusForbidden},
		{"garbage", map[string]any{"role": "deploy", "jwt": "garbage"}, http.StatusForbidden},
		{"no jwt", map[string]any{"role": "deploy"}, http.StatusBadRequest},
		{"no role", map[string]any{"jwt": good}, http.StatusBadRequest},
		{"unknown role", map[string]any{"role": "nope", "jwt": good}, http.StatusBadRequest},
	}
	anon := s.NewClient("")
	for _, c := range logins {
		sec, err := anon.Logical().Write("auth/jwt/login", c.data)
		wantStatus(t, err, c.status, c.name)
		if sec != nil && sec.Auth != nil {
			t.Fatalf("%s: a token was issued", c.name)
		}
	}

	// A role whose sub binding fails: missing sub.
	_, err = s.Client.Logical().Write("auth/jwt/role/by-sub", map[string]any{
		"role_type": "jwt", "user_claim": "sub", "bound_audiences": ghAudience,
	})
	must(t, err, "role by-sub")
	_, err = anon.Logical().Write("auth/jwt/login", map[string]any{"role": "by-sub", "jwt": signJWT(t, key, "gh-1", with("sub", nil))})
	wantStatus(t, err, http.StatusForbidden, "missing sub")

	closed := httptest.NewTLSServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	configs := map[string]map[string]any{
		"two key sources":           {"jwks_url": jwks.srv.URL, "jwks_ca_pem": jwks.caPEM(), "jwt_validation_pubkeys": publicPEM(t, key)},
		"unreachable discovery URL": {"oidc_discovery_url": closedURL},
		"HMAC allowed":              {"jwks_url": jwks.srv.URL, "jwks_ca_pem": jwks.caPEM(), "jwt_supported_algs": "HS256"},
	}
	for name, data := range configs {
		_, err := s.Client.Logical().Write("auth/jwt/config", data)
		wantStatus(t, err, http.StatusBadRequest, name)
	}
	conf, err := s.Client.Logical().Read("auth/jwt/config")
	must(t, err, "read config")
	if conf.Data["jwks_url"] != jwks.srv.URL || conf.Data["oidc_discovery_url"] != "" {
		t.Fatalf("a refused config changed the stored one: %v", conf.Data)
	}
	// The method still works with the config it had.
	_, err = anon.Logical().Write("auth/jwt/login", map[string]any{"role": "deploy", "jwt": good})
	must(t, err, "login after refused configs")

	after, err := s.Client.Logical().List("auth/token/accessors")
	must(t, err, "list accessors")
	if got, want := len(after.Data["keys"].([]any)), len(before.Data["keys"].([]any))+1; got != want {
		t.Fatalf("refused logins left tokens behind: %d accessors, want %d", got, want)
	}
}
