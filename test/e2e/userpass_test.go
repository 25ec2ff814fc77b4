package e2e

import (
	"net/http"
	"slices"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestUserpassLogin: create a user, log in, a wrong password and an
// unknown user are refused alike, a changed password takes effect.
func TestUserpassLogin(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	must(t, c.Sys().EnableAuthWithOptions("userpass", &api.EnableAuthOptions{Type: "userpass"}), "enable userpass")
	must(t, c.Sys().PutPolicy("reader", `path "secret/data/*" { capabilities = ["read"] }`), "policy")
	_, err := c.Logical().Write("auth/userpass/users/Alice", map[string]any{
		"password": "s3cret", "token_policies": "reader", "token_ttl": "1h",
	})
	must(t, err, "create user")

	u, err := c.Logical().Read("auth/userpass/users/alice")
	must(t, err, "read user")
	if _, leaked := u.Data["password"]; leaked {
		t.Fatalf("a user read shows the password: %v", u.Data)
	}
	if _, leaked := u.Data["password_hash"]; leaked {
		t.Fatalf("a user read shows the password hash: %v", u.Data)
	}

	login := func(name, pw string) (*api.Secret, error) {
		return s.NewClient("").Logical().Write("auth/userpass/login/"+name, map[string]any{"password": pw})
	}
	sec, err := login("alice", "s3cret")
	must(t, err, "login")
	if !slices.Contains(sec.Auth.Policies, "reader") || sec.Auth.Metadata["username"] != "alice" || sec.Auth.LeaseDuration != 3600 {
		t.Fatalf("login auth: %+v", sec.Auth)
	}
	self, err := s.NewClient(sec.Auth.ClientToken).Auth().Token().LookupSelf()
	must(t, err, "lookup-self")
	if self.Data["path"] != "auth/userpass/login/alice" || self.Data["display_name"] != "userpass-alice" {
		t.Fatalf("token: path %v display_name %v", self.Data["path"], self.Data["display_name"])
	}

	_, wrong := login("alice", "nope")
	wantStatus(t, wrong, http.StatusBadRequest, "wrong password")
	_, unknown := login("bob", "s3cret")
	wantStatus(t, unknown, http.StatusBadRequest, "unknown user")
	if wrong.(*api.ResponseError).Errors[0] != "invalid username or password" ||
		unknown.(*api.ResponseError).Errors[0] != "invalid username or password" {
		t.Fatalf("the two failures must answer the same: %v / %v", wrong, unknown)
	}

	_, err = c.Logical().Write("auth/userpass/users/alice/password", map[string]any{"password": "n3w"})
	must(t, err, "change password")
	_, err = login("alice", "s3cret")
	wantStatus(t, err, http.StatusBadRequest, "old password after change")
	_, err = login("alice", "n3w")
	must(t, err, "login with new password")

	_, err = c.Logical().Write("auth/userpass/users/alice/policies", map[string]any{"token_policies": "other"})
	must(t, err, "set policies")
	sec, err = login("alice", "n3w")
	must(t, err, "login after policy change")
	if !slices.Equal(sec.Auth.Policies, []string{"default", "other"}) {
		t.Fatalf("policies after change: %v", sec.Auth.Policies)
	}
	list, err := c.Logical().List("auth/userpass/users")
	must(t, err, "list")
	if keys := list.Data["keys"].([]any); len(keys) != 1 || keys[0] != "alice" {
		t.Fatalf("list: %v", list.Data)
	}
}

// TestUserpassBadInput: each bad request is a 4xx that creates no user.
func TestUserpassBadInput(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	must(t, c.Sys().EnableAuthWithOptions("userpass", &api.EnableAuthOptions{Type: "userpass"}), "enable userpass")
	cases := []struct {
		name, path string
		body       map[string]any
	}{
		{"no password", "auth/userpass/users/carol", map[string]any{"token_policies": "a"}},
		{"bad ttl", "auth/userpass/users/carol", map[string]any{"password": "x", "token_ttl": "banana"}},
		{"ttl over max", "auth/userpass/users/carol", map[string]any{"password": "x", "token_ttl": "2h", "token_max_ttl": "1h"}},
		{"bad cidr", "auth/userpass/users/carol", map[string]any{"password": "x", "token_bound_cidrs": "10.0.0.300/8"}},
		{"bad token type", "auth/userpass/users/carol", map[string]any{"password": "x", "token_type": "silver"}},
		{"password of unknown user", "auth/userpass/users/carol/password", map[string]any{"password": "x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Logical().Write(tc.path, tc.body)
			wantStatus(t, err, http.StatusBadRequest, tc.name)
		})
	}
	if got, err := c.Logical().Read("auth/userpass/users/carol"); err != nil || got != nil {
		t.Fatalf("a refused write left a user: %v %v", got, err)
	}
	_, err := s.NewClient("").Logical().Write("auth/userpass/login/carol", map[string]any{})
	wantStatus(t, err, http.StatusBadRequest, "login without password")
}
