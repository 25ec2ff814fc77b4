package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestUnmountedPathNeedsRights: a request for a path no mount serves is
// checked against the caller's policies first, as Vault and OpenBao do:
// a token without rights there gets 403 "permission denied" (so it cannot
// probe which mounts exist), and only a token that could reach the path
// learns it is not mounted (404 "no handler for route").
func TestUnmountedPathNeedsRights(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	must(t, c.Sys().PutPolicy("app", `path "secret/*" { capabilities = ["read", "update", "create"] }`), "write app policy")
	must(t, c.Sys().PutPolicy("wide", `path "secretx/*" { capabilities = ["read", "update", "create", "list"] }`), "write wide policy")
	token := func(policy string) string {
		sec, err := c.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{policy}})
		must(t, err, "create token")
		return sec.Auth.ClientToken
	}
	app, wide := token("app"), token("wide")
	tests := []struct {
		name, token, method, path string
		want                      int
		wantMsg                   string
	}{
		{"no rights: read", app, http.MethodGet, "secretx/data/app", 403, "permission denied"},
		{"no rights: write", app, http.MethodPut, "secretx/data/app", 403, "permission denied"},
		{"no rights: list", app, "LIST", "secretx/metadata/", 403, "permission denied"},
		{"no rights: deep", app, http.MethodGet, "nosuchmount/a/b/c", 403, "permission denied"},
		{"no token", "", http.MethodGet, "secretx/data/app", 403, "permission denied"},
		{"bad token", "hvs.not-a-token", http.MethodGet, "secretx/data/app", 403, "permission denied"},
		{"rights there: read", wide, http.MethodGet, "secretx/data/app", 404, "no handler for route"},
		{"rights there: write", wide, http.MethodPut, "secretx/data/app", 404, "no handler for route"},
		{"root", s.RootToken, http.MethodGet, "secretx/data/app", 404, "no handler for route"},
		// A mounted path keeps its answer: the app token reads secret/.
		{"mounted path", app, http.MethodGet, "secret/data/none", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := s.NewClient(tt.token)
			if tt.token == "" {
				cl.ClearToken()
			}
			status, body := raw(t, cl, tt.method, tt.path, map[string]any{"data": map[string]any{"k": "v"}})
			if status != tt.want {
				t.Fatalf("HTTP %d %v, want %d", status, body, tt.want)
			}
			errs, _ := body["errors"].([]any)
			if tt.wantMsg == "" {
				if len(errs) != 0 {
					t.Fatalf("errors %v, want none", errs)
				}
				return
			}
			if len(errs) == 0 || !strings.Contains(errs[0].(string), tt.wantMsg) {
				t.Fatalf("errors %v, want %q", errs, tt.wantMsg)
			}
		})
	}
}
