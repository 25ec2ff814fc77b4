package kubernetes

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

func issuedAuth(roleName, ns, name string) *logical.Auth {
	r := &role{TokenParams: tokenutil.TokenParams{TokenTTL: time.Hour}}
	return r.auth(roleName, &saClaims{Namespace: ns, Name: name, UID: "uid-1"})
}

func TestRenew(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.mustDo(t, logical.CreateOperation, "role/my-api-role", walkthroughRole)
	renew := func(a *logical.Auth) (*logical.Response, error) {
		return e.b.HandleRequest(t.Context(), &logical.Request{
			Operation: logical.RenewOperation, Path: "login", Storage: e.storage, Auth: a,
		})
	}

	resp, err := renew(issuedAuth("my-api-role", "default", "default"))
	if err != nil || resp == nil || resp.Auth == nil {
		t.Fatalf("renew = %+v, %v", resp, err)
	}
	if resp.Auth.TTL != time.Hour || !resp.Auth.Renewable || resp.Auth.Metadata["service_account_name"] != "default" {
		t.Fatalf("renewed auth = %+v", resp.Auth)
	}

	// The role's current TTLs apply.
	e.mustDo(t, logical.UpdateOperation, "role/my-api-role", map[string]any{"token_ttl": "15m", "token_max_ttl": "2h", "token_period": "0"})
	resp, err = renew(issuedAuth("my-api-role", "default", "default"))
	if err != nil || resp.Auth.TTL != 15*time.Minute || resp.Auth.MaxTTL != 2*time.Hour {
		t.Fatalf("renew after role change = %+v, %v", resp, err)
	}

	refusals := []struct {
		name    string
		auth    *logical.Auth
		wantMsg string
	}{
		{"service account no longer bound", issuedAuth("my-api-role", "default", "web"), "no longer binds service account"},
		{"namespace no longer bound", issuedAuth("my-api-role", "other", "default"), "no longer binds namespace"},
		{"no internal data", &logical.Auth{}, "no role"},
		{"unknown role", issuedAuth("gone", "default", "default"), "no longer exists"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renew(tt.auth)
			wantStatus(t, err, http.StatusForbidden)
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %q does not mention %q", err, tt.wantMsg)
			}
		})
	}

	e.mustDo(t, logical.DeleteOperation, "role/my-api-role", nil)
	_, err = renew(issuedAuth("my-api-role", "default", "default"))
	wantStatus(t, err, http.StatusForbidden)
}
