package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

func ttlOf(t *testing.T, sec *api.Secret) int64 {
	t.Helper()
	n, err := sec.Data["ttl"].(json.Number).Int64()
	if err != nil {
		t.Fatalf("ttl %v: %v", sec.Data["ttl"], err)
	}
	return n
}

func TestTokenCreateLookupRenew(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	tokens := s.Client.Auth().Token()

	child, err := tokens.Create(&api.TokenCreateRequest{Policies: []string{"default"}, TTL: "1h", ExplicitMaxTTL: "90m", DisplayName: "app"})
	must(t, err, "create child")
	if child.Auth.LeaseDuration != 3600 || !child.Auth.Renewable || child.Auth.Orphan {
		t.Fatalf("child auth: %+v", child.Auth)
	}
	if len(child.Auth.ClientToken) < 28 || child.Auth.ClientToken[:4] != "hvs." || child.Auth.Accessor == "" {
		t.Fatalf("token %q / accessor %q do not look like Vault's", child.Auth.ClientToken, child.Auth.Accessor)
	}
	cc := s.NewClient(child.Auth.ClientToken)
	self, err := cc.Auth().Token().LookupSelf()
	must(t, err, "lookup-self")
	if ttl := ttlOf(t, self); ttl < 3590 || ttl > 3600 {
		t.Fatalf("lookup-self ttl %d", ttl)
	}
	for _, field := range []string{"accessor", "creation_ttl", "expire_time", "issue_time", "policies", "path", "meta", "num_uses", "orphan", "renewable", "type", "display_name", "entity_id", "explicit_max_ttl"} {
		if _, ok := self.Data[field]; !ok {
			t.Errorf("lookup-self lacks %q", field)
		}
	}
	if self.Data["display_name"] != "token-app" || self.Data["path"] != "auth/token/create" {
		t.Errorf("display_name %v path %v", self.Data["display_name"], self.Data["path"])
	}

	// Renewing for 2h is capped by the explicit max TTL of 90 minutes.
	renewed, err := cc.Auth().Token().RenewSelf(7200)
	must(t, err, "renew-self")
	if d := renewed.Auth.LeaseDuration; d > 5400 || d < 5390 {
		t.Fatalf("renew past explicit max: lease %d, want about 5400", d)
	}
	renewed, err = cc.Auth().Token().RenewSelf(600)
	must(t, err, "renew-self 10m")
	if renewed.Auth.LeaseDuration != 600 {
		t.Fatalf("renew 600: lease %d", renewed.Auth.LeaseDuration)
	}

	// A periodic token renews to its period with no max.
	periodic, err := tokens.Create(&api.TokenCreateRequest{Period: "30m", TTL: "0s"})
	must(t, err, "create periodic")
	if periodic.Auth.LeaseDuration != 1800 {
		t.Fatalf("periodic lease %d", periodic.Auth.LeaseDuration)
	}
	pr, err := s.NewClient(periodic.Auth.ClientToken).Auth().Token().RenewSelf(99999)
	must(t, err, "renew periodic")
	if pr.Auth.LeaseDuration != 1800 {
		t.Fatalf("periodic renewed to %d, want its period", pr.Auth.LeaseDuration)
	}
}

func TestTokenTreeRevocation(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	must(t, s.Client.Sys().PutPolicy("creator", `path "auth/token/create" { capabilities = ["create", "update"] }`), "policy")
	parent, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"creator"}, TTL: "1h"})
	must(t, err, "parent")
	pc := s.NewClient(parent.Auth.ClientToken)
	child, err := pc.Auth().Token().Create(&api.TokenCreateRequest{TTL: "2h"})
	must(t, err, "child")
	if child.Auth.LeaseDuration > 3600 {
		t.Fatalf("child outlives its parent: %d", child.Auth.LeaseDuration)
	}
	grandchild, err := s.NewClient(child.Auth.ClientToken).Auth().Token().Create(&api.TokenCreateRequest{})
	must(t, err, "grandchild")
	orphan, err := s.Client.Auth().Token().CreateOrphan(&api.TokenCreateRequest{Policies: []string{"default"}})
	must(t, err, "orphan")
	if !orphan.Auth.Orphan {
		t.Fatal("create-orphan gave a non-orphan")
	}

	must(t, s.Client.Auth().Token().RevokeTree(parent.Auth.ClientToken), "revoke parent")
	for name, tok := range map[string]string{"parent": parent.Auth.ClientToken, "child": child.Auth.ClientToken, "grandchild": grandchild.Auth.ClientToken} {
		_, err := s.NewClient(tok).Auth().Token().LookupSelf()
		wantStatus(t, err, http.StatusForbidden, name+" after parent revoked")
	}
	_, err = s.NewClient(orphan.Auth.ClientToken).Auth().Token().LookupSelf()
	must(t, err, "orphan survives")

	// By accessor.
	byAcc, err := s.Client.Auth().Token().LookupAccessor(orphan.Auth.Accessor)
	must(t, err, "lookup-accessor")
	if byAcc.Data["id"] != "" && byAcc.Data["id"] != nil {
		t.Fatalf("lookup-accessor leaked the token id: %v", byAcc.Data["id"])
	}
	must(t, s.Client.Auth().Token().RevokeAccessor(orphan.Auth.Accessor), "revoke-accessor")
	_, err = s.NewClient(orphan.Auth.ClientToken).Auth().Token().LookupSelf()
	wantStatus(t, err, http.StatusForbidden, "orphan after revoke-accessor")
}

func TestTokenUsesExpiryAndRoles(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	limited, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{NumUses: 2})
	must(t, err, "limited")
	lc := s.NewClient(limited.Auth.ClientToken)
	for i := 0; i < 2; i++ {
		_, err := lc.Auth().Token().LookupSelf()
		must(t, err, "use within num_uses")
	}
	_, err = lc.Auth().Token().LookupSelf()
	wantStatus(t, err, http.StatusForbidden, "use past num_uses")

	short, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{TTL: "1s", Renewable: boolp(false)})
	must(t, err, "short")
	time.Sleep(1100 * time.Millisecond)
	_, err = s.NewClient(short.Auth.ClientToken).Auth().Token().LookupSelf()
	wantStatus(t, err, http.StatusForbidden, "expired token")

	_, err = s.Client.Logical().Write("auth/token/roles/ci", map[string]any{"allowed_policies": "ci-read", "orphan": true, "token_period": "1h"})
	must(t, err, "write role")
	byRole, err := s.Client.Auth().Token().CreateWithRole(&api.TokenCreateRequest{Policies: []string{"ci-read"}}, "ci")
	must(t, err, "create from role")
	if !byRole.Auth.Orphan || !contains(byRole.Auth.Policies, "ci-read") || byRole.Auth.LeaseDuration != 3600 {
		t.Fatalf("role token: %+v", byRole.Auth)
	}
	roles, err := s.Client.Logical().List("auth/token/roles")
	must(t, err, "list roles")
	if roles == nil || len(roles.Data["keys"].([]any)) != 1 {
		t.Fatalf("roles: %+v", roles)
	}
}

func TestTokenBadInput(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	before, err := s.Client.Logical().List("auth/token/accessors")
	must(t, err, "list accessors")
	for name, req := range map[string]*api.TokenCreateRequest{
		"negative ttl": {TTL: "-5s"},
		"banana ttl":   {TTL: "banana"},
	} {
		_, err := s.Client.Auth().Token().Create(req)
		wantStatus(t, err, http.StatusBadRequest, name)
	}
	_, err = s.Client.Auth().Token().CreateWithRole(&api.TokenCreateRequest{}, "no-such-role")
	wantStatus(t, err, http.StatusBadRequest, "unknown role")

	a, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"default"}})
	must(t, err, "a")
	b, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"default"}})
	must(t, err, "b")
	err = s.NewClient(a.Auth.ClientToken).Auth().Token().RevokeTree(b.Auth.ClientToken)
	wantStatus(t, err, http.StatusForbidden, "revoking another's token without permission")
	_, err = s.NewClient(b.Auth.ClientToken).Auth().Token().LookupSelf()
	must(t, err, "b survives a refused revoke")

	after, err := s.Client.Logical().List("auth/token/accessors")
	must(t, err, "list accessors")
	if got, want := len(after.Data["keys"].([]any)), len(before.Data["keys"].([]any))+2; got != want {
		t.Fatalf("refused creations left tokens behind: %d accessors, want %d", got, want)
	}
}

func TestTokensSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	s := vaulttest.Start(t, vaulttest.Options{Dir: dir, Shares: 3, Threshold: 2})
	long, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{TTL: "1h"})
	must(t, err, "long")
	short, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{TTL: "2s"})
	must(t, err, "short")
	must(t, s.Client.Sys().Mount("kept", &api.MountInput{Type: "kv"}), "mount")

	s.Stop()
	raw, err := os.ReadFile(filepath.Join(dir, "vaultd.db"))
	must(t, err, "read bbolt file")
	for name, tok := range map[string]string{"root": s.RootToken, "long": long.Auth.ClientToken, "short": short.Auth.ClientToken} {
		if bytes.Contains(raw, []byte(tok)) {
			t.Errorf("the %s token is in the bbolt file in plain text", name)
		}
	}
	time.Sleep(2500 * time.Millisecond)

	s.Restart()
	st, err := s.Client.Sys().SealStatus()
	must(t, err, "seal-status")
	if !st.Sealed {
		t.Fatal("restarted server is unsealed")
	}
	s.Unseal(s.Shares[1], s.Shares[2])

	self, err := s.NewClient(long.Auth.ClientToken).Auth().Token().LookupSelf()
	must(t, err, "long token after restart")
	if ttl := ttlOf(t, self); ttl > 3600-2 || ttl < 3500 {
		t.Fatalf("remaining TTL after restart: %d", ttl)
	}
	_, err = s.NewClient(short.Auth.ClientToken).Auth().Token().LookupSelf()
	wantStatus(t, err, http.StatusForbidden, "token that expired while down")
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err = s.Client.Auth().Token().LookupAccessor(short.Auth.Accessor)
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err == nil {
		t.Fatal("the expired token was never reaped")
	}
	mounts, err := s.Client.Sys().ListMounts()
	must(t, err, "mounts after restart")
	if _, ok := mounts["kept/"]; !ok {
		t.Fatal("mount lost across restart")
	}
}

func boolp(b bool) *bool { return &b }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
