package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestBatchTokens: a batch token (from auth/token/create and from a
// userpass login with token_type=batch) reads what its policy allows,
// cannot be renewed or make children, and is not stored (no accessor, the
// accessor list does not grow).
func TestBatchTokens(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	must(t, c.Sys().PutPolicy("reader", `path "secret/data/app/*" { capabilities = ["read"] }`), "policy")
	must(t, c.Sys().PutPolicy("creator", `path "auth/token/create" { capabilities = ["update"] }`), "policy")
	_, err := c.KVv2("secret").Put(t.Context(), "app/cfg", map[string]any{"k": "v"})
	must(t, err, "put")
	_, err = c.KVv2("secret").Put(t.Context(), "other", map[string]any{"k": "v"})
	must(t, err, "put other")
	accessors := func() int {
		l, err := c.Logical().List("auth/token/accessors")
		must(t, err, "list accessors")
		return len(l.Data["keys"].([]any))
	}
	before := accessors()

	sec, err := c.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"reader", "creator"}, Type: "batch", TTL: "30m"})
	must(t, err, "create batch")
	tok := sec.Auth.ClientToken
	if !strings.HasPrefix(tok, "hvb.") || sec.Auth.Accessor != "" || sec.Auth.Renewable {
		t.Fatalf("batch auth: %+v", sec.Auth)
	}
	batch := s.NewClient(tok)
	_, err = batch.KVv2("secret").Get(t.Context(), "app/cfg")
	must(t, err, "batch token reads what its policy allows")
	_, err = batch.KVv2("secret").Get(t.Context(), "other")
	wantStatus(t, err, http.StatusForbidden, "batch token outside its policy")
	self, err := batch.Auth().Token().LookupSelf()
	must(t, err, "lookup-self")
	if self.Data["type"] != "batch" || self.Data["renewable"] != false {
		t.Fatalf("lookup-self: %v", self.Data)
	}
	_, err = batch.Auth().Token().RenewSelf(0)
	wantStatus(t, err, http.StatusBadRequest, "renew a batch token")
	_, err = batch.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"reader"}})
	wantStatus(t, err, http.StatusBadRequest, "child of a batch token")
	wantStatus(t, c.Auth().Token().RevokeTree(tok), http.StatusBadRequest, "revoke a batch token")

	must(t, c.Sys().EnableAuthWithOptions("userpass", &api.EnableAuthOptions{Type: "userpass"}), "enable userpass")
	_, err = c.Logical().Write("auth/userpass/users/ci", map[string]any{"password": "pw", "token_policies": "reader", "token_type": "batch"})
	must(t, err, "batch user")
	login, err := s.NewClient("").Logical().Write("auth/userpass/login/ci", map[string]any{"password": "pw"})
	must(t, err, "login")
	if !strings.HasPrefix(login.Auth.ClientToken, "hvb.") || login.Auth.EntityID == "" {
		t.Fatalf("login auth: %+v", login.Auth)
	}
	_, err = s.NewClient(login.Auth.ClientToken).KVv2("secret").Get(t.Context(), "app/cfg")
	must(t, err, "login batch token reads")

	// Encrypted by the barrier's keyring: still opens after a key rotation.
	must(t, c.Sys().Rotate(), "rotate")
	_, err = batch.KVv2("secret").Get(t.Context(), "app/cfg")
	must(t, err, "batch token after sys/rotate")
	_, err = s.NewClient(tok[:len(tok)-3]+"AAA").KVv2("secret").Get(t.Context(), "app/cfg")
	wantStatus(t, err, http.StatusForbidden, "tampered batch token")

	if after := accessors(); after != before {
		t.Fatalf("batch tokens were stored: %d accessors before, %d after", before, after)
	}
	_, err = c.Logical().Write("auth/token/create", map[string]any{"type": "batch", "num_uses": 3})
	wantStatus(t, err, http.StatusBadRequest, "batch token with a use count")
	_, err = c.Logical().Write("auth/userpass/users/bad", map[string]any{"password": "pw", "token_type": "batch", "token_period": "1h"})
	wantStatus(t, err, http.StatusBadRequest, "periodic batch role")
}

// TestIdentityAndBatchSurviveRestart: on bbolt, an entity, its alias and a
// batch token are all still good after a restart and unseal.
func TestIdentityAndBatchSurviveRestart(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{Dir: t.TempDir()})
	c := s.Client
	must(t, c.Sys().EnableAuthWithOptions("userpass", &api.EnableAuthOptions{Type: "userpass"}), "enable userpass")
	_, err := c.Logical().Write("auth/userpass/users/eve", map[string]any{"password": "pw", "token_type": "batch"})
	must(t, err, "user")
	first, err := s.NewClient("").Logical().Write("auth/userpass/login/eve", map[string]any{"password": "pw"})
	must(t, err, "login")

	s.Restart()
	s.Unseal(s.Shares...)
	again, err := s.NewClient("").Logical().Write("auth/userpass/login/eve", map[string]any{"password": "pw"})
	must(t, err, "login after restart")
	if again.Auth.EntityID != first.Auth.EntityID {
		t.Fatalf("entity %q after restart, %q before", again.Auth.EntityID, first.Auth.EntityID)
	}
	self, err := s.NewClient(first.Auth.ClientToken).Auth().Token().LookupSelf()
	must(t, err, "batch token from before the restart")
	if self.Data["entity_id"] != first.Auth.EntityID {
		t.Fatalf("lookup-self after restart: %v", self.Data)
	}
}
