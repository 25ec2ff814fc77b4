package e2e

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestAuditHashesNumbersAndBools: numbers and booleans in secret data are
// HMAC'd in the audit log like strings, in the request, in the response
// and in a later read, at any depth and in lists; the digits never appear.
// The KV store keeps the numbers exactly as written.
func TestAuditHashesNumbersAndBools(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	log := filepath.Join(t.TempDir(), "audit.log")
	enableFileAudit(t, s.Client, "file", log, nil)

	const body = `{"data":{"pin":987654321,"acct":4111111111111111,"big":123456789012345678901234567890,` +
		`"admin":true,"nested":{"codes":[271828,{"deep":314159}]}}}`
	resp, err := s.Client.Logical().WriteRaw("secret/data/card", []byte(body))
	must(t, err, "write the secret")
	resp.Body.Close()

	// Read back the raw body: the numbers come back digit for digit.
	resp, err = s.Client.Logical().ReadRaw("secret/data/card")
	must(t, err, "read the secret")
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	must(t, err, "read body")
	for _, exact := range []string{`"pin":987654321`, `"acct":4111111111111111`, `"big":123456789012345678901234567890`, `"admin":true`, `[271828,{"deep":314159}]`} {
		if !bytes.Contains(raw, []byte(exact)) {
			t.Errorf("KV read lost %s exactly: %s", exact, raw)
		}
	}

	data, err := os.ReadFile(log)
	must(t, err, "read audit log")
	for _, digits := range []string{"987654321", "4111111111111111", "123456789012345678901234567890", "271828", "314159"} {
		if strings.Contains(string(data), digits) {
			t.Errorf("audit log holds %s in plaintext", digits)
		}
	}

	lines := readAuditLog(t, log)
	write := onePair(t, lines, "secret/data/card", "create")
	read := onePair(t, lines, "secret/data/card", "read")
	h := func(in string) string { return auditHash(t, s.Client, "file", in) }
	check := func(where string, m map[string]any) {
		t.Helper()
		d, _ := m["data"].(map[string]any)
		if d == nil {
			t.Fatalf("%s: no data.data in %v", where, m)
		}
		for k, want := range map[string]string{"pin": h("987654321"), "acct": h("4111111111111111"), "big": h("123456789012345678901234567890"), "admin": h("true")} {
			if d[k] != want {
				t.Errorf("%s: data.%s = %v, want %s", where, k, d[k], want)
			}
		}
		codes := d["nested"].(map[string]any)["codes"].([]any)
		if codes[0] != h("271828") || codes[1].(map[string]any)["deep"] != h("314159") {
			t.Errorf("%s: nested codes %v not hashed", where, codes)
		}
	}
	check("write request", write.req.m["request"].(map[string]any)["data"].(map[string]any))
	check("read response", read.resp.m["response"].(map[string]any)["data"].(map[string]any))
}
