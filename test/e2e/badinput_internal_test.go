package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestPathTooLong: a path longer than the server takes is a client
// mistake: 400 saying the path is too long, never a 500 naming the
// storage engine's key limit, and nothing is written.
func TestPathTooLong(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{Dir: t.TempDir()})
	c := s.Client
	long := strings.Repeat("a", 40<<10)
	for _, tt := range []struct{ method, path string }{
		{http.MethodPut, "secret/data/" + long},
		{http.MethodGet, "secret/data/" + long},
		{http.MethodPut, "secret/metadata/" + long},
		{http.MethodPut, "sys/policies/acl/" + long},
		{http.MethodPut, "cubbyhole/" + long},
	} {
		status, body := raw(t, c, tt.method, tt.path, map[string]any{"data": map[string]any{"k": "v"}, "policy": `path "x" { capabilities = ["read"] }`, "k": "v"})
		if status != http.StatusBadRequest {
			t.Fatalf("%s %.40s…: HTTP %d %v, want 400", tt.method, tt.path, status, body)
		}
		msg := body["errors"].([]any)[0].(string)
		if !strings.Contains(msg, "too long") || strings.Contains(msg, "bbolt") || strings.Contains(msg, "key") {
			t.Fatalf("%s %.40s…: %q, want a message about the path's length", tt.method, tt.path, msg)
		}
	}
	keys, err := c.Logical().List("secret/metadata/")
	must(t, err, "list secret/")
	if keys != nil {
		t.Fatalf("something was written: %v", keys.Data)
	}
}
