package jwt

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// TestRoleDefaultsAndReadBack: a role reads back with Vault's defaults
// (leeways 150/150/60, bound_claims_type string) and its token_* fields.
func TestRoleDefaultsAndReadBack(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.mustDo(t, logical.CreateOperation, "role/CI", map[string]any{
		"role_type":       "jwt",
		"user_claim":      "sub",
		"bound_audiences": "a,b",
		"bound_claims":    map[string]any{"/project/path": "group/app"},
		"claim_mappings":  "repository=repo",
		"policies":        "Dev,ops",
		"ttl":             "1h",
	})
	d := e.mustDo(t, logical.ReadOperation, "role/ci", nil).Data
	if d["expiration_leeway"] != int64(150) || d["not_before_leeway"] != int64(150) || d["clock_skew_leeway"] != int64(60) {
		t.Fatalf("leeways: %v %v %v", d["expiration_leeway"], d["not_before_leeway"], d["clock_skew_leeway"])
	}
	if d["bound_claims_type"] != "string" || d["role_type"] != "jwt" || d["user_claim"] != "sub" {
		t.Fatalf("role: %v", d)
	}
	if !slices.Equal(d["token_policies"].([]string), []string{"dev", "ops"}) || !slices.Equal(d["policies"].([]string), []string{"dev", "ops"}) {
		t.Fatalf("policies: %v / %v", d["token_policies"], d["policies"])
	}
	if d["token_ttl"] != int64(3600) || d["ttl"] != int64(3600) || d["token_type"] != "default" {
		t.Fatalf("ttl: %v %v %v", d["token_ttl"], d["ttl"], d["token_type"])
	}
	if m := d["claim_mappings"].(map[string]string); m["repository"] != "repo" {
		t.Fatalf("claim_mappings: %v", m)
	}

	// An update keeps what it does not name; -1 turns a leeway off.
	e.mustDo(t, logical.UpdateOperation, "role/ci", map[string]any{"clock_skew_leeway": -1, "expiration_leeway": "5m", "bound_claims_type": "glob"})
	d = e.mustDo(t, logical.ReadOperation, "role/ci", nil).Data
	if d["clock_skew_leeway"] != int64(-1) || d["expiration_leeway"] != int64(300) || d["user_claim"] != "sub" || d["bound_claims_type"] != "glob" {
		t.Fatalf("after update: %v", d)
	}
	list := e.mustDo(t, logical.ListOperation, "role", nil)
	if !slices.Equal(list.Data["keys"].([]string), []string{"ci"}) {
		t.Fatalf("list: %v", list.Data)
	}
	e.mustDo(t, logical.DeleteOperation, "role/ci", nil)
	if resp := e.mustDo(t, logical.ReadOperation, "role/ci", nil); resp != nil {
		t.Fatalf("deleted role reads %v", resp.Data)
	}
}

// TestRoleRefused: bad role writes are 400s and store nothing.
func TestRoleRefused(t *testing.T) {
	base := func(extra map[string]any) map[string]any {
		d := map[string]any{"role_type": "jwt", "user_claim": "sub", "bound_subject": "x"}
		for k, v := range extra {
			if v == nil {
				delete(d, k)
			} else {
				d[k] = v
			}
		}
		return d
	}
	cases := []struct {
		name string
		data map[string]any
		want string
	}{
		{"bad role_type", base(map[string]any{"role_type": "saml"}), "invalid 'role_type'"},
		{"oidc without redirect URIs", base(map[string]any{"role_type": nil}), "'allowed_redirect_uris' must be set"},
		{"no user claim", base(map[string]any{"user_claim": nil}), "a user claim must be defined on the role"},
		{"no bound constraint", base(map[string]any{"bound_subject": nil}), "must have at least one bound constraint"},
		{"bad bound_claims_type", base(map[string]any{"bound_claims_type": "regex"}), "invalid 'bound_claims_type'"},
		{"glob on a number", base(map[string]any{"bound_claims_type": "glob", "bound_claims": map[string]any{"n": 5}}), "claim is not a string"},
		{"bound claim an object", base(map[string]any{"bound_claims": map[string]any{"n": map[string]any{}}}), "claim is not a string or list"},
		{"reserved mapping", base(map[string]any{"claim_mappings": map[string]any{"x": "role"}}), `metadata key "role" is reserved`},
		{"duplicate mapping", base(map[string]any{"claim_mappings": map[string]any{"x": "k", "y": "k"}}), `multiple keys are mapped to metadata key "k"`},
		{"bad leeway", base(map[string]any{"clock_skew_leeway": "soon"}), "clock_skew_leeway"},
		{"token_ttl over token_max_ttl", base(map[string]any{"token_ttl": "2h", "token_max_ttl": "1h"}), "'token_ttl' cannot be greater than 'token_max_ttl'"},
		{"ttl over max_ttl", base(map[string]any{"ttl": "2h", "max_ttl": "1h"}), "ttl should not be greater than max ttl"},
		{"bad cidr", base(map[string]any{"token_bound_cidrs": "300.1.1.1"}), "invalid token_bound_cidrs"},
		{"bad token_type", base(map[string]any{"token_type": "magic"}), "invalid 'token_type'"},
		{"period over mount max", base(map[string]any{"token_period": "10000h"}), "greater than the backend's maximum lease TTL"},
		{"bad ttl type", base(map[string]any{"token_ttl": "banana"}), "token_ttl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newTestEnv(t, Options{})
			_, err := e.do(logical.CreateOperation, "role/r", c.data)
			wantStatus(t, err, http.StatusBadRequest, c.want)
			if resp := e.mustDo(t, logical.ReadOperation, "role/r", nil); resp != nil {
				t.Fatalf("refused role stored: %v", resp.Data)
			}
		})
	}
}

// TestLoginRequestRefused: a login that cannot be matched to a usable role
// is a 400, as Vault's; a token_bound_cidrs miss is a 403.
func TestLoginRequestRefused(t *testing.T) {
	key := rsaKey(t, "k")
	e, _ := githubEnv(t, Options{}, key)
	tok := key.sign(t, githubClaims(e, "refs/heads/main"))
	e.mustDo(t, logical.CreateOperation, "role/browser", map[string]any{"user_claim": "sub", "allowed_redirect_uris": "https://x/cb"})
	e.mustDo(t, logical.CreateOperation, "role/office", map[string]any{"role_type": "jwt", "user_claim": "sub", "token_bound_cidrs": "10.0.0.0/8"})
	cases := []struct {
		name   string
		data   map[string]any
		status int
		want   string
	}{
		{"no role", map[string]any{"jwt": tok}, http.StatusBadRequest, "missing role"},
		{"unknown role", map[string]any{"role": "nope", "jwt": tok}, http.StatusBadRequest, `role "nope" could not be found`},
		{"oidc role", map[string]any{"role": "browser", "jwt": tok}, http.StatusBadRequest, "role with oidc role_type is not allowed"},
		{"no jwt", map[string]any{"role": "deploy"}, http.StatusBadRequest, "missing token"},
		{"outside the role's CIDRs", map[string]any{"role": "office", "jwt": tok}, http.StatusForbidden, "permission denied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.do(logical.UpdateOperation, "login", c.data)
			wantStatus(t, err, c.status, c.want)
		})
	}
	// default_role stands in for a missing role.
	e.mustDo(t, logical.UpdateOperation, "config", map[string]any{"jwt_validation_pubkeys": key.pemOf(t), "bound_issuer": "https://issuer.example", "default_role": "deploy"})
	if _, err := e.do(logical.UpdateOperation, "login", map[string]any{"jwt": tok}); err != nil {
		t.Fatalf("login with default_role: %v", err)
	}
}

// TestLeeways: clock_skew_leeway widens exp; -1 turns it off; a token
// without exp expires expiration_leeway after its iat.
func TestLeeways(t *testing.T) {
	key := rsaKey(t, "k")
	e, _ := githubEnv(t, Options{}, key)
	now := e.clock.Now()
	justExpired := githubClaims(e, "refs/heads/main")
	justExpired["exp"] = now.Add(-30 * time.Second).Unix()
	if _, err := e.login("deploy", key.sign(t, justExpired)); err != nil {
		t.Fatalf("30s past exp within the default 60s skew: %v", err)
	}
	e.mustDo(t, logical.UpdateOperation, "role/deploy", map[string]any{"clock_skew_leeway": -1})
	_, err := e.login("deploy", key.sign(t, justExpired))
	wantStatus(t, err, http.StatusForbidden, "token is expired")

	noExp := githubClaims(e, "refs/heads/main")
	delete(noExp, "exp")
	delete(noExp, "nbf")
	noExp["iat"] = now.Add(-100 * time.Second).Unix()
	if _, err := e.login("deploy", key.sign(t, noExp)); err != nil {
		t.Fatalf("no exp, iat 100s ago, default 150s leeway: %v", err)
	}
	e.mustDo(t, logical.UpdateOperation, "role/deploy", map[string]any{"expiration_leeway": 60})
	_, err = e.login("deploy", key.sign(t, noExp))
	wantStatus(t, err, http.StatusForbidden, "token is expired")
}

// TestRenew: renewal takes the role's current TTL and stops with the role.
func TestRenew(t *testing.T) {
	key := rsaKey(t, "k")
	e, _ := githubEnv(t, Options{}, key)
	resp, err := e.login("deploy", key.sign(t, githubClaims(e, "refs/heads/main")))
	if err != nil {
		t.Fatal(err)
	}
	e.mustDo(t, logical.UpdateOperation, "role/deploy", map[string]any{"token_ttl": "20m"})
	renew := func() (*logical.Response, error) {
		return e.b.HandleRequest(t.Context(), &logical.Request{Operation: logical.RenewOperation, Path: "login", Storage: e.storage, Auth: resp.Auth})
	}
	got, err := renew()
	if err != nil || got.Auth.TTL != 20*time.Minute {
		t.Fatalf("renew: %v %+v", err, got)
	}
	e.mustDo(t, logical.DeleteOperation, "role/deploy", nil)
	_, err = renew()
	wantStatus(t, err, http.StatusForbidden, "no longer exists")
}
