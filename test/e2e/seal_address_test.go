package e2e

import (
	"path/filepath"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestSealCarriesTheCallerAddress: sys/seal runs with the client's
// address, so a token bound to the client's CIDR may seal from there, and
// the audit entry of the seal records the remote address.
func TestSealCarriesTheCallerAddress(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	log := filepath.Join(t.TempDir(), "audit.log")
	enableFileAudit(t, c, "file", log, nil)
	must(t, c.Sys().PutPolicy("sealer", `path "sys/seal" { capabilities = ["update", "sudo"] }`), "write policy")
	_, err := c.Logical().Write("auth/token/roles/bound", map[string]any{
		"allowed_policies": []string{"sealer"}, "token_bound_cidrs": []string{"127.0.0.1/32"},
	})
	must(t, err, "write role")
	sec, err := c.Auth().Token().CreateWithRole(&api.TokenCreateRequest{Policies: []string{"sealer"}}, "bound")
	must(t, err, "create bound token")

	if err := s.NewClient(sec.Auth.ClientToken).Sys().Seal(); err != nil {
		t.Fatalf("seal with a token bound to 127.0.0.1/32, from 127.0.0.1: %v", err)
	}
	if st, err := c.Sys().SealStatus(); err != nil || !st.Sealed {
		t.Fatalf("not sealed: %+v %v", st, err)
	}
	p := onePair(t, readAuditLog(t, log), "sys/seal", "update")
	for _, l := range []*auditLine{p.req, p.resp} {
		if got := l.entry.Request.RemoteAddr; got != "127.0.0.1" {
			t.Errorf("%s entry of sys/seal: remote_address %q, want 127.0.0.1", l.entry.Type, got)
		}
	}
}
