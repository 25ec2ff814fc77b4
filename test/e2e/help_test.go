package e2e

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestPathHelp: `vault path-help` (api.Client.Help, GET ?help=1) answers
// the matching pattern, its fields and a description from the backend's
// own table, for each kind of mount.
func TestPathHelp(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	cases := []struct {
		path string
		want []string
	}{
		{"secret/data/my-app", []string{"Request:        data/my-app", "Matching Route: ^data/(?P<path>.*)$", "data (map)", "Location of the secret."}},
		{"secret/metadata/my-app", []string{"metadata/?(?P<path>.*)", "max_versions (int)"}},
		{"secret/config", []string{"Matching Route: ^config$", "cas_required (bool)"}},
		{"auth/token/create", []string{"Matching Route: ^create$", "policies", "Create a token"}},
		{"auth/token/roles/ci", []string{"roles/(?P<role_name>", "allowed_policies"}},
		{"sys/tools/random", []string{"tools/random", "bytes (int)", "format (string)"}},
		{"sys/quotas/rate-limit/q", []string{"quotas/rate-limit/([^/]+)", "block_interval (duration (sec))"}},
		{"cubbyhole/x", []string{"Per-token private secret storage"}},
	}
	for _, tc := range cases {
		h, err := c.Help(tc.path)
		must(t, err, "help "+tc.path)
		for _, w := range tc.want {
			if !strings.Contains(h.Help, w) {
				t.Errorf("help %s lacks %q:\n%s", tc.path, w, h.Help)
			}
		}
	}
	// Not the mount list, and not a 404, for a mount's own paths; a path
	// no table serves is a 404; no token is a 403.
	status, _ := raw(t, c, http.MethodGet, "secret/bogus-endpoint/x?help=1", nil)
	if status != http.StatusNotFound {
		t.Fatalf("help on an unserved path: %d", status)
	}
	_, err := s.NewClient("").Help("secret/data/x")
	wantStatus(t, err, http.StatusForbidden, "help without a token")
	_, err = c.Help("nowhere/x")
	wantStatus(t, err, http.StatusNotFound, "help on no mount")
}

// A help request is audited (op "help"), with its token HMAC'd.
func TestPathHelpAudited(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	logPath := t.TempDir() + "/audit.log"
	enableFileAudit(t, c, "file", logPath, nil)
	_, err := c.Help("secret/data/x")
	must(t, err, "help")
	raw, err := os.ReadFile(logPath)
	must(t, err, "read the audit log")
	text := string(raw)
	if !strings.Contains(text, `"operation":"help"`) || !strings.Contains(text, `"path":"secret/data/x"`) {
		t.Fatalf("no audited help request in:\n%s", text)
	}
	if strings.Contains(text, s.RootToken) {
		t.Fatal("the audit log holds the token in the clear")
	}
}
