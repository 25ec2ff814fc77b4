package command_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestOperatorGenerateRootCLI: the whole ceremony through the binary run
// as vault: -init (server-drawn OTP), one share per run with -nonce, the
// last one printing the encoded token, -decode giving a working root token.
func TestOperatorGenerateRootCLI(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true, Shares: 3, Threshold: 2})
	c := newCLI(t, s)
	delete(c.env, "VAULT_TOKEN") // the ceremony needs no token

	var st struct {
		Nonce            string `json:"nonce"`
		OTP              string `json:"otp"`
		Complete         bool   `json:"complete"`
		EncodedRootToken string `json:"encoded_root_token"`
	}
	must(t, json.Unmarshal([]byte(c.must("", "operator", "generate-root", "-init", "-format=json")), &st), "init output")
	if st.Nonce == "" || st.OTP == "" {
		t.Fatalf("init: %+v", st)
	}
	otp, nonce := st.OTP, st.Nonce
	table := c.must("", "operator", "generate-root", "-status")
	if !strings.Contains(table, "Progress") || !strings.Contains(table, "0/2") {
		t.Fatalf("status table:\n%s", table)
	}
	c.must("", "operator", "generate-root", "-nonce="+nonce, s.Shares[0])
	// The second share read from standard input, as a key holder pipes it.
	must(t, json.Unmarshal([]byte(c.must(s.Shares[2]+"\n", "operator", "generate-root", "-format=json")), &st), "final output")
	if !st.Complete || st.EncodedRootToken == "" {
		t.Fatalf("final: %+v", st)
	}
	token := strings.TrimSpace(c.must("", "operator", "generate-root", "-decode="+st.EncodedRootToken, "-otp="+otp))
	if _, err := s.NewClient(token).Logical().Read("sys/mounts"); err != nil {
		t.Fatalf("the decoded token %q does not work: %v", token, err)
	}
	if r := c.run("", "operator", "generate-root", "-decode=xyz"); r.code != 1 || !strings.Contains(r.stderr, "Missing otp") {
		t.Fatalf("decode without otp: %+v", r)
	}
	otpOut := strings.TrimSpace(c.must("", "operator", "generate-root", "-generate-otp"))
	if len(otpOut) != len(otp) {
		t.Fatalf("-generate-otp printed %q", otpOut)
	}
}

// TestOperatorRekeyCLI: rekey 3/2 to 1/1 through the binary; the new share
// unseals after a seal and the old ones do not.
func TestOperatorRekeyCLI(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true, Shares: 3, Threshold: 2})
	c := newCLI(t, s)
	out := c.must("", "operator", "rekey", "-init", "-key-shares=1", "-key-threshold=1")
	if !strings.Contains(out, "New Shares") || !strings.Contains(out, "0/2") {
		t.Fatalf("init:\n%s", out)
	}
	c.must("", "operator", "rekey", s.Shares[0])
	out = c.must("", "operator", "rekey", s.Shares[1])
	if !strings.Contains(out, "Key 1: ") || !strings.Contains(out, "key threshold of 1") {
		t.Fatalf("final:\n%s", out)
	}
	newKey := strings.TrimSpace(strings.SplitN(strings.SplitN(out, "Key 1: ", 2)[1], "\n", 2)[0])
	c.must("", "operator", "seal")
	if r := c.run("", "operator", "unseal", s.Shares[0]); r.code != 2 {
		t.Fatalf("an old share after the rekey: %+v", r)
	}
	out = c.must("", "operator", "unseal", newKey)
	if !strings.Contains(out, "Sealed") || !strings.Contains(out, "false") {
		t.Fatalf("unseal with the new share:\n%s", out)
	}
	if r := c.run("", "operator", "rekey", "-target=recovery"); r.code != 1 {
		t.Fatalf("-target=recovery: %+v", r)
	}
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestPathHelpCLI: `vault path-help` prints the server's help for a path.
func TestPathHelpCLI(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := newCLI(t, s)
	out := c.must("", "path-help", "secret/data/my-app")
	if !strings.Contains(out, "Matching Route: ^data/(?P<path>.*)$") || !strings.Contains(out, "data (map)") {
		t.Fatalf("path-help:\n%s", out)
	}
	if r := c.run("", "path-help", "nowhere/x"); r.code != 2 || !strings.Contains(r.stderr, "Code: 404") {
		t.Fatalf("path-help on no mount: %+v", r)
	}
}
