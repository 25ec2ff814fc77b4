package jwt

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/vaultd/vaultd/logical"
)

// githubEnv is a backend configured as for GitHub Actions: the issuer's
// JWKS served over HTTPS, a role admitting one repository's main branch
// and release tags by glob, mapping the repository into alias metadata.
func githubEnv(t *testing.T, opts Options, keys ...signingKey) (*testEnv, *issuer) {
	t.Helper()
	is := newIssuer(t, keys...)
	e := newTestEnv(t, opts)
	e.mustDo(t, logical.UpdateOperation, "config", map[string]any{
		"jwks_url":     is.srv.URL + "/jwks",
		"jwks_ca_pem":  is.caPEM(),
		"bound_issuer": "https://issuer.example",
	})
	e.mustDo(t, logical.CreateOperation, "role/deploy", map[string]any{
		"role_type":         "jwt",
		"user_claim":        "repository",
		"bound_audiences":   "https://github.com/octo-org",
		"bound_claims_type": "glob",
		"bound_claims": map[string]any{
			"ref":              []any{"refs/heads/main", "refs/tags/v*"},
			"job_workflow_ref": "octo-org/*/.github/workflows/deploy.yml@*",
		},
		"claim_mappings": map[string]any{"repository": "repo", "ref": "git_ref", "/project/path": "project_path"},
		"groups_claim":   "teams",
		"token_policies": "deploy",
		"token_ttl":      "10m",
	})
	return e, is
}

func githubClaims(e *testEnv, ref string) map[string]any {
	return e.claims(map[string]any{
		"repository":       "octo-org/octo-repo",
		"ref":              ref,
		"job_workflow_ref": "octo-org/octo-repo/.github/workflows/deploy.yml@" + ref,
		"project":          map[string]any{"path": "octo-org/octo-repo", "id": 42},
		"teams":            []any{"platform", "release"},
	})
}

// TestLoginGitHubActions: the glob on ref admits refs/heads/main and a
// release tag and refuses a feature branch; the alias is the user_claim
// and its metadata carries the mapped claims, a nested one by its path.
func TestLoginGitHubActions(t *testing.T) {
	key := rsaKey(t, "gh-1")
	e, _ := githubEnv(t, Options{}, key)

	resp, err := e.login("deploy", key.sign(t, githubClaims(e, "refs/heads/main")))
	if err != nil {
		t.Fatalf("main branch refused: %v", err)
	}
	a := resp.Auth
	if a.Alias == nil || a.Alias.Name != "octo-org/octo-repo" || a.DisplayName != "octo-org/octo-repo" {
		t.Fatalf("alias %+v, display %q", a.Alias, a.DisplayName)
	}
	meta := a.Alias.Metadata
	want := map[string]string{"repo": "octo-org/octo-repo", "git_ref": "refs/heads/main", "project_path": "octo-org/octo-repo", "role": "deploy"}
	for k, v := range want {
		if meta[k] != v || a.Metadata[k] != v {
			t.Fatalf("metadata %q: alias %q, token %q, want %q", k, meta[k], a.Metadata[k], v)
		}
	}
	if g := a.InternalData["group_aliases"].([]string); !slices.Equal(g, []string{"platform", "release"}) {
		t.Fatalf("groups %v", g)
	}
	if !slices.Equal(a.Policies, []string{"deploy"}) || a.TTL != 10*time.Minute || !a.Renewable {
		t.Fatalf("token properties: %+v", a)
	}

	if _, err := e.login("deploy", key.sign(t, githubClaims(e, "refs/tags/v1.2.0"))); err != nil {
		t.Fatalf("release tag refused: %v", err)
	}
	_, err = e.login("deploy", key.sign(t, githubClaims(e, "refs/heads/feature")))
	wantStatus(t, err, http.StatusForbidden, `error validating claims: claim "ref" does not match any associated bound claim values`)
}

// TestLoginRefused: every bad token is a 403 saying which check failed,
// and no token is asked for.
func TestLoginRefused(t *testing.T) {
	key := rsaKey(t, "gh-1")
	e, _ := githubEnv(t, Options{}, key)
	good := func(extra map[string]any) map[string]any {
		c := githubClaims(e, "refs/heads/main")
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	now := e.clock.Now()
	enc := base64.RawURLEncoding
	payload := enc.EncodeToString([]byte(`{"iss":"https://issuer.example","aud":"https://github.com/octo-org","repository":"octo-org/octo-repo","ref":"refs/heads/main","exp":` + strconv.FormatInt(now.Add(time.Hour).Unix(), 10) + `}`))
	other := rsaKey(t, "gh-1") // same kid, different key
	ec := ecKey(t, "gh-ec")

	cases := []struct {
		name  string
		token string
		want  string
	}{
		{"alg none", enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + payload + ".", "invalid algorithm (alg) header parameter"},
		{"HS256 signed with the public key", hsToken(t, key.pemOf(t), good(nil)), "invalid algorithm (alg) header parameter"},
		{"garbage", "not.a.jwt", "error verifying token signature: malformed token"},
		{"garbage without dots", "garbage", "error verifying token signature: malformed token"},
		{"signed by another key", other.sign(t, good(nil)), "no known key successfully validated the token signature"},
		{"unknown algorithm for the keys", ec.sign(t, good(nil)), "no known key successfully validated the token signature"},
		{"expired", key.sign(t, good(map[string]any{"iat": now.Add(-2 * time.Hour).Unix(), "nbf": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()})), "invalid expiration time (exp) claim: token is expired"},
		{"not yet valid", key.sign(t, good(map[string]any{"nbf": now.Add(time.Hour).Unix(), "iat": nil})), "invalid not before (nbf) claim: token not yet valid"},
		{"issued in the future", key.sign(t, good(map[string]any{"iat": now.Add(time.Hour).Unix(), "nbf": nil})), "invalid not before (nbf) claim"},
		{"no time claims", key.sign(t, good(map[string]any{"iat": nil, "nbf": nil, "exp": nil})), "no issued at (iat), not before (nbf), or expiration time (exp) claims"},
		{"wrong issuer", key.sign(t, good(map[string]any{"iss": "https://evil.example"})), "invalid issuer (iss) claim"},
		{"no issuer", key.sign(t, good(map[string]any{"iss": nil})), "invalid issuer (iss) claim"},
		{"wrong audience", key.sign(t, good(map[string]any{"aud": "https://github.com/other-org"})), "invalid audience (aud) claim"},
		{"missing user claim", key.sign(t, good(map[string]any{"repository": nil})), `claim "repository" not found in token`},
		{"user claim not a string", key.sign(t, good(map[string]any{"repository": 7})), `claim "repository" could not be converted to string`},
		{"bound claim missing", key.sign(t, good(map[string]any{"job_workflow_ref": nil})), `claim "job_workflow_ref" is missing`},
		{"bound claim of another repo", key.sign(t, good(map[string]any{"job_workflow_ref": "evil-org/x/.github/workflows/deploy.yml@refs/heads/main"})), `claim "job_workflow_ref" does not match`},
		{"mapped claim not a string", key.sign(t, good(map[string]any{"project": map[string]any{"path": 5}})), "error converting claim '/project/path' to string"},
		{"groups not strings", key.sign(t, good(map[string]any{"teams": []any{1}})), "in groups claim could not be parsed as string"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := e.login("deploy", c.token)
			wantStatus(t, err, http.StatusForbidden, c.want)
			if resp != nil {
				t.Fatalf("refused login answered %+v", resp)
			}
		})
	}
}

// hsToken signs claims with HS256 using the issuer's public key (as its
// PEM text) as the HMAC secret: the classic algorithm-confusion forgery.
func hsToken(t *testing.T, secret string, claims map[string]any) string {
	t.Helper()
	k := signingKey{kid: "gh-1", alg: jose.HS256, priv: []byte(secret)}
	return k.sign(t, claims)
}
