package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestDurationsTooLarge: a duration past what the server can hold, in any
// form (number, numeric string, unit suffix, days), is a 400 saying it is
// too large. Nothing is created or changed: no token is minted and a
// refused tune leaves the mount's TTLs as they were.
func TestDurationsTooLarge(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	forms := map[string]any{
		"numeric string":   "18446744074",
		"number":           18446744074,
		"one past the max": "9223372037",
		"unit suffix":      "2562048h",
		"days":             "106752d",
	}
	want400 := func(t *testing.T, method, path string, body map[string]any) {
		t.Helper()
		status, resp := raw(t, c, method, path, body)
		if status != http.StatusBadRequest {
			t.Fatalf("HTTP %d %v, want 400", status, resp)
		}
		errs, _ := resp["errors"].([]any)
		if len(errs) == 0 || !strings.Contains(errs[0].(string), "too large") {
			t.Fatalf("errors %v, want one saying too large", resp["errors"])
		}
		if resp["auth"] != nil {
			t.Fatalf("a token was handed out: %v", resp["auth"])
		}
	}
	before, err := c.Sys().MountConfig("secret")
	must(t, err, "read secret/ tune")
	for name, v := range forms {
		t.Run(name, func(t *testing.T) {
			want400(t, http.MethodPost, "auth/token/create", map[string]any{"ttl": v, "policies": []string{"default"}})
			want400(t, http.MethodPost, "auth/token/create", map[string]any{"explicit_max_ttl": v, "policies": []string{"default"}})
			want400(t, http.MethodPost, "sys/mounts/secret/tune", map[string]any{"max_lease_ttl": v})
			want400(t, http.MethodPost, "sys/mounts/secret/tune", map[string]any{"default_lease_ttl": v})
			after, err := c.Sys().MountConfig("secret")
			must(t, err, "read secret/ tune")
			if after.MaxLeaseTTL != before.MaxLeaseTTL || after.DefaultLeaseTTL != before.DefaultLeaseTTL {
				t.Fatalf("tune changed: %+v, was %+v", after, before)
			}
		})
	}
	accessors, err := c.Logical().List("auth/token/accessors")
	must(t, err, "list accessors")
	if keys := accessors.Data["keys"].([]any); len(keys) != 1 {
		t.Fatalf("%d tokens exist, want only the root token", len(keys))
	}
}
