package e2e

import (
	"net/http"
	"slices"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

func enableAppRole(t *testing.T, c *api.Client) {
	t.Helper()
	must(t, c.Sys().EnableAuthWithOptions("approle", &api.EnableAuthOptions{Type: "approle"}), "enable approle")
}

func roleID(t *testing.T, c *api.Client, role string) string {
	t.Helper()
	sec, err := c.Logical().Read("auth/approle/role/" + role + "/role-id")
	must(t, err, "read role-id")
	return sec.Data["role_id"].(string)
}

func appRoleLogin(s *vaulttest.Server, roleID, secretID string) (*api.Secret, error) {
	return s.NewClient("").Logical().Write("auth/approle/login", map[string]any{"role_id": roleID, "secret_id": secretID})
}

// TestAppRoleWrappedSecretIDLogin: role → role-id → wrapped secret-id →
// unwrap → login → a token with the role's policies.
func TestAppRoleWrappedSecretIDLogin(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	enableAppRole(t, c)
	must(t, c.Sys().PutPolicy("ci", `path "secret/data/ci/*" { capabilities = ["read"] }`), "policy")
	_, err := c.Logical().Write("auth/approle/role/ci", map[string]any{"token_policies": "ci", "token_ttl": "20m", "secret_id_ttl": "10m"})
	must(t, err, "create role")
	rid := roleID(t, c, "ci")

	w, err := wrapped(t, c, "60s").Logical().Write("auth/approle/role/ci/secret-id", nil)
	must(t, err, "wrapped secret-id")
	if w.WrapInfo == nil || w.WrapInfo.CreationPath != "auth/approle/role/ci/secret-id" || w.WrapInfo.WrappedAccessor == "" {
		t.Fatalf("wrap_info: %+v", w.WrapInfo)
	}
	un, err := s.NewClient("").Logical().Unwrap(w.WrapInfo.Token)
	must(t, err, "unwrap")
	sid, _ := un.Data["secret_id"].(string)
	if sid == "" || un.Data["secret_id_accessor"] != w.WrapInfo.WrappedAccessor {
		t.Fatalf("unwrapped secret-id %v (wrapped_accessor %s)", un.Data, w.WrapInfo.WrappedAccessor)
	}

	login, err := appRoleLogin(s, rid, sid)
	must(t, err, "login")
	if !slices.Equal(login.Auth.Policies, []string{"ci", "default"}) || login.Auth.Metadata["role_name"] != "ci" || login.Auth.LeaseDuration != 1200 {
		t.Fatalf("login auth %+v", login.Auth)
	}
	_, err = c.KVv2("secret").Put(t.Context(), "ci/deploy", map[string]any{"k": "v"})
	must(t, err, "put")
	if _, err := s.NewClient(login.Auth.ClientToken).KVv2("secret").Get(t.Context(), "ci/deploy"); err != nil {
		t.Fatalf("the role's policy does not reach its token: %v", err)
	}
	_, err = s.NewClient(login.Auth.ClientToken).KVv2("secret").Get(t.Context(), "other")
	wantStatus(t, err, http.StatusForbidden, "read outside the role's policy")

	// The secret ID has no use limit: it logs in again, and can be looked
	// up by value or accessor and listed.
	_, err = appRoleLogin(s, rid, sid)
	must(t, err, "second login")
	look, err := c.Logical().Write("auth/approle/role/ci/secret-id/lookup", map[string]any{"secret_id": sid})
	must(t, err, "lookup")
	if look.Data["secret_id_accessor"] != w.WrapInfo.WrappedAccessor {
		t.Fatalf("lookup: %v", look.Data)
	}
	list, err := c.Logical().List("auth/approle/role/ci/secret-id")
	must(t, err, "list accessors")
	if keys := list.Data["keys"].([]any); len(keys) != 1 || keys[0] != w.WrapInfo.WrappedAccessor {
		t.Fatalf("list: %v", list.Data)
	}
}

// TestAppRoleSecretIDLimits: a one-use secret ID works once, a CIDR-bound
// one is refused from another address, a destroyed one is refused.
func TestAppRoleSecretIDLimits(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	enableAppRole(t, c)
	_, err := c.Logical().Write("auth/approle/role/once", map[string]any{"secret_id_num_uses": 1, "token_policies": "default"})
	must(t, err, "role")
	rid := roleID(t, c, "once")
	gen := func(body map[string]any) string {
		t.Helper()
		sec, err := c.Logical().Write("auth/approle/role/once/secret-id", body)
		must(t, err, "secret-id")
		return sec.Data["secret_id"].(string)
	}

	one := gen(nil)
	_, err = appRoleLogin(s, rid, one)
	must(t, err, "first use")
	_, err = appRoleLogin(s, rid, one)
	wantStatus(t, err, http.StatusBadRequest, "second use of a one-use secret ID")

	bound := gen(map[string]any{"cidr_list": "10.20.30.0/24"})
	_, err = appRoleLogin(s, rid, bound)
	wantStatus(t, err, http.StatusBadRequest, "secret ID bound to another network")
	local := gen(map[string]any{"cidr_list": "127.0.0.1/32"})
	_, err = appRoleLogin(s, rid, local)
	must(t, err, "secret ID bound to the client's network")

	gone := gen(nil)
	_, err = c.Logical().Write("auth/approle/role/once/secret-id/destroy", map[string]any{"secret_id": gone})
	must(t, err, "destroy")
	_, err = appRoleLogin(s, rid, gone)
	wantStatus(t, err, http.StatusBadRequest, "destroyed secret ID")

	_, err = c.Logical().Write("auth/approle/role/once/custom-secret-id", map[string]any{"secret_id": "my-own-secret"})
	must(t, err, "custom secret ID")
	_, err = appRoleLogin(s, rid, "my-own-secret")
	must(t, err, "login with custom secret ID")

	// A new role ID replaces the old one.
	_, err = c.Logical().Write("auth/approle/role/once/role-id", map[string]any{"role_id": "fixed-id"})
	must(t, err, "set role-id")
	if roleID(t, c, "once") != "fixed-id" {
		t.Fatal("role-id not set")
	}
	_, err = appRoleLogin(s, rid, gen(nil))
	wantStatus(t, err, http.StatusBadRequest, "login with the replaced role ID")

	tidy, err := c.Logical().Write("auth/approle/tidy/secret-id", nil)
	must(t, err, "tidy")
	if len(tidy.Warnings) == 0 {
		t.Fatalf("tidy: %+v", tidy)
	}
}

// TestAppRoleBadInput: unknown role, wrong secret ID, bad fields: a 4xx and
// nothing created.
func TestAppRoleBadInput(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	enableAppRole(t, c)
	_, err := c.Logical().Write("auth/approle/role/ci", map[string]any{"token_policies": "default"})
	must(t, err, "role")
	rid := roleID(t, c, "ci")

	_, err = appRoleLogin(s, "no-such-role-id", "whatever")
	wantStatus(t, err, http.StatusBadRequest, "unknown role ID")
	_, err = appRoleLogin(s, rid, "wrong-secret-id")
	if re, ok := err.(*api.ResponseError); !ok || re.StatusCode != http.StatusBadRequest || re.Errors[0] != "invalid role or secret ID" {
		t.Fatalf("wrong secret ID: %v", err)
	}
	_, err = appRoleLogin(s, rid, "")
	wantStatus(t, err, http.StatusBadRequest, "no secret ID")

	for _, tc := range []struct {
		name, path string
		body       map[string]any
	}{
		{"secret-id of unknown role", "auth/approle/role/nope/secret-id", nil},
		{"role without constraints", "auth/approle/role/open", map[string]any{"bind_secret_id": false}},
		{"bad secret_id_ttl", "auth/approle/role/open", map[string]any{"secret_id_ttl": "banana"}},
		{"bad secret_id_bound_cidrs", "auth/approle/role/open", map[string]any{"secret_id_bound_cidrs": "300.1.1.1/8"}},
		{"bad metadata", "auth/approle/role/ci/secret-id", map[string]any{"metadata": "{not json"}},
		{"negative num_uses", "auth/approle/role/ci/secret-id", map[string]any{"num_uses": -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Logical().Write(tc.path, tc.body)
			wantStatus(t, err, http.StatusBadRequest, tc.name)
		})
	}
	roles, err := c.Logical().List("auth/approle/role")
	must(t, err, "list roles")
	if keys := roles.Data["keys"].([]any); len(keys) != 1 {
		t.Fatalf("a refused write created a role: %v", keys)
	}
	if ids, err := c.Logical().List("auth/approle/role/ci/secret-id"); err != nil || ids != nil {
		t.Fatalf("a refused write created a secret ID: %v %v", ids, err)
	}
}
