package command

// These are unit tests of the status and operator commands' flag parsing,
// output formatting and exit codes, run against fakeVault (fake_test.go),
// an httptest server with canned but realistic answers (a sealed server's
// states, a TLS server with its own CA). They do not test vaultd's server;
// the end-to-end tests in package command_test do.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs vaultd with args and stdin, capturing its output.
func runCLI(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, Streams{Stdin: stdin, Stdout: &out, Stderr: &errOut})
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// cleanEnv isolates a test from the caller's Vault environment and token
// file, and turns off the API client's retries so 5xx answers come back at
// once.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{"VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT", "VAULT_CAPATH",
		"VAULT_SKIP_VERIFY", "VAULT_FORMAT", "VAULT_CLIENT_CERT", "VAULT_CLIENT_KEY", "VAULT_NAMESPACE",
		"VAULT_AGENT_ADDR", "VAULT_TLS_SERVER_NAME"} {
		t.Setenv(name, "")
	}
	t.Setenv("VAULT_MAX_RETRIES", "0")
	t.Setenv("HOME", t.TempDir())
}

const unsealedTable = `Key             Value
---             -----
Seal Type       shamir
Initialized     true
Sealed          false
Total Shares    5
Threshold       3
Version         0.1.0
Build Date      2025-06-01T12:00:00Z
Storage Type    bbolt
Cluster Name    vault-cluster-5f3ac1de
Cluster ID      0c4b7e59-8f0e-5d36-a1c2-77f5d8e1b0aa
HA Enabled      false
`

const sealedTable = `Key                Value
---                -----
Seal Type          shamir
Initialized        true
Sealed             true
Total Shares       5
Threshold          3
Unseal Progress    0/3
Unseal Nonce       n/a
Version            0.1.0
Build Date         2025-06-01T12:00:00Z
Storage Type       bbolt
HA Enabled         false
`

func TestStatusTable(t *testing.T) {
	cleanEnv(t)
	fake, srv := newFakeVault(t)
	fake.initialise(5, 3)

	r := runCLI(t, nil, "status", "-address="+srv.URL)
	if r.code != 2 {
		t.Errorf("sealed: exit %d, want 2; stderr %q", r.code, r.stderr)
	}
	if r.stdout != sealedTable {
		t.Errorf("sealed table:\n%s\nwant:\n%s", r.stdout, sealedTable)
	}

	fake.mu.Lock()
	fake.sealed = false
	fake.mu.Unlock()
	t.Setenv("VAULT_ADDR", srv.URL) // the environment works as the flag does
	r = runCLI(t, nil, "status")
	if r.code != 0 {
		t.Errorf("unsealed: exit %d, want 0; stderr %q", r.code, r.stderr)
	}
	if r.stdout != unsealedTable {
		t.Errorf("unsealed table:\n%s\nwant:\n%s", r.stdout, unsealedTable)
	}
}

func TestStatusJSON(t *testing.T) {
	cleanEnv(t)
	fake, srv := newFakeVault(t)
	fake.initialise(5, 3)
	t.Setenv("VAULT_ADDR", srv.URL)

	r := runCLI(t, nil, "status", "-format=json")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2; stderr %q", r.code, r.stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	want := map[string]any{
		"type": "shamir", "initialized": true, "sealed": true, "t": 3.0, "n": 5.0,
		"progress": 0.0, "nonce": "", "version": "0.1.0", "build_date": "2025-06-01T12:00:00Z",
		"migration": false, "recovery_seal": false, "storage_type": "bbolt", "ha_enabled": false,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	// VAULT_FORMAT chooses the format when -format is absent.
	t.Setenv("VAULT_FORMAT", "json")
	if r := runCLI(t, nil, "status"); !json.Valid([]byte(r.stdout)) {
		t.Errorf("VAULT_FORMAT=json gave %q", r.stdout)
	}
}

// TestStatusLeaderSealed: a server that answers sys/leader with 503
// "Vault is sealed" still gets its status printed, HA off, exit 2.
func TestStatusLeaderSealed(t *testing.T) {
	cleanEnv(t)
	fake, srv := newFakeVault(t)
	fake.initialise(5, 3)
	fake.leaderSealedError = true
	r := runCLI(t, nil, "status", "-address", srv.URL)
	if r.code != 2 || r.stdout != sealedTable {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
}

func TestStatusErrors(t *testing.T) {
	cleanEnv(t)
	_, srv := newFakeVault(t)
	down := "http://" + srv.Listener.Addr().String()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"server down", []string{"status", "-address=http://127.0.0.1:1"}, 1, "Error checking seal status"},
		{"extra argument", []string{"status", "-address=" + down, "now"}, 1, "Too many arguments (expected 0, got 1)"},
		{"unknown format", []string{"status", "-address=" + down, "-format=xml"}, 1, "Invalid output format: xml"},
		{"unknown flag", []string{"status", "-bogus"}, 1, "flag provided but not defined: -bogus"},
		{"help", []string{"status", "-h"}, 0, "Usage: vault status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tc.code, tc.stderr)
			}
		})
	}
}

func TestOperatorInitTable(t *testing.T) {
	cleanEnv(t)
	fake, srv := newFakeVault(t)
	r := runCLI(t, nil, "operator", "init", "-address="+srv.URL)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if len(fake.initRequests) != 1 || fake.initRequests[0]["secret_shares"] != 5.0 || fake.initRequests[0]["secret_threshold"] != 3.0 {
		t.Errorf("init requests = %v, want one with 5 shares, threshold 3", fake.initRequests)
	}
	lines := strings.Split(r.stdout, "\n")
	for i := range 5 {
		// The base64 form of the fake's i-th share (33 bytes of value i+1).
		raw := make([]byte, 33)
		raw[32] = byte(i + 1)
		want := "Unseal Key " + strconv.Itoa(i+1) + ": " + base64.StdEncoding.EncodeToString(raw)
		if lines[i] != want {
			t.Errorf("line %d = %q, want %q", i, lines[i], want)
		}
	}
	if !strings.Contains(r.stdout, "\nInitial Root Token: hvs.FAKEROOTTOKEN0123456789ab\n") {
		t.Errorf("no root token line in:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "5 key shares and a key threshold of 3") {
		t.Errorf("no summary in:\n%s", r.stdout)
	}
	for _, l := range lines {
		if len(l) > lineWidth {
			t.Errorf("line longer than %d: %q", lineWidth, l)
		}
	}

	// A second init is refused by the server: exit 2, its error shown.
	r = runCLI(t, nil, "operator", "init", "-address="+srv.URL)
	if r.code != 2 || !strings.Contains(r.stderr, "Error initializing") || !strings.Contains(r.stderr, "Vault is already initialized") {
		t.Errorf("second init: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestOperatorInitJSON(t *testing.T) {
	cleanEnv(t)
	fake, srv := newFakeVault(t)
	r := runCLI(t, nil, "operator", "init", "-address="+srv.URL, "-key-shares=1", "-t=1", "-format=json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var got initOutput
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if got.UnsealShares != 1 || got.UnsealThreshold != 1 || len(got.UnsealKeysHex) != 1 || len(got.UnsealKeysB64) != 1 ||
		got.UnsealKeysHex[0] != fake.validKeys[0] || got.RootToken != fake.rootToken {
		t.Errorf("init output = %+v", got)
	}
	if !strings.Contains(r.stdout, `"recovery_keys_b64": []`) {
		t.Errorf("recovery keys should be an empty list, as vault prints: %s", r.stdout)
	}
}

func TestOperatorInitBadRequest(t *testing.T) {
	cleanEnv(t)
	_, srv := newFakeVault(t)
	r := runCLI(t, nil, "operator", "init", "-address="+srv.URL, "-key-shares=2", "-key-threshold=3")
	if r.code != 2 || !strings.Contains(r.stderr, "Code: 400") || !strings.Contains(r.stderr, "threshold cannot be larger than shares") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "operator", "init", "-address="+srv.URL, "-key-shares=many"); r.code != 1 {
		t.Errorf("a bad flag value: exit %d", r.code)
	}
}

func TestOperatorInitStatus(t *testing.T) {
	cleanEnv(t)
	fake, srv := newFakeVault(t)
	r := runCLI(t, nil, "operator", "init", "-status", "-address="+srv.URL)
	if r.code != 2 || r.stdout != "Vault is not initialized\n" {
		t.Errorf("before init: exit %d, %q", r.code, r.stdout)
	}
	fake.initialise(1, 1)
	r = runCLI(t, nil, "operator", "init", "-status", "-format=json", "-address="+srv.URL)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "{\n  \"initialized\": true\n}" {
		t.Errorf("after init: exit %d, %q", r.code, r.stdout)
	}
	if len(fake.initRequests) != 0 {
		t.Error("-status initialised the server")
	}
}

// TestUnsealCeremony: three shares, by argument, by a pipe on stdin and by
// a plain reader; progress shows between them and the last one unseals.
func TestUnsealCeremony(t *testing.T) {
	cleanEnv(t)
	fake, srv := newFakeVault(t)
	fake.initialise(5, 3)
	t.Setenv("VAULT_ADDR", srv.URL)

	r := runCLI(t, nil, "operator", "unseal", fake.validKeys[0])
	if r.code != 0 || !strings.Contains(r.stdout, "Unseal Progress    1/3\n") ||
		!strings.Contains(r.stdout, "Unseal Nonce       9e5a27cd-0a31-4d1b-9d6f-2f1c0c5e8a11\n") {
		t.Fatalf("first share: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Standard input as a pipe (an *os.File that is not a terminal).
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_, _ = io.WriteString(pw, "  "+fake.validKeys[1]+"  \n"+"ignored second line\n")
		pw.Close()
	}()
	r = runCLI(t, pr, "operator", "unseal")
	pr.Close()
	if r.code != 0 || !strings.Contains(r.stdout, "Unseal Progress    2/3\n") {
		t.Fatalf("second share: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A reader without a trailing newline, and JSON output.
	r = runCLI(t, strings.NewReader(fake.validKeys[2]), "operator", "unseal", "-format=json")
	if r.code != 0 {
		t.Fatalf("third share: exit %d: %s", r.code, r.stderr)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st["sealed"] != false || st["cluster_name"] != "vault-cluster-5f3ac1de" {
		t.Errorf("third share output %v (%v): %s", st, err, r.stdout)
	}

	var sent []string
	for _, b := range fake.unsealBodies {
		sent = append(sent, b["key"].(string))
	}
	if strings.Join(sent, ",") != strings.Join(fake.validKeys[:3], ",") {
		t.Errorf("keys sent %v, want the first three shares, trimmed", sent)
	}
	// The share is never echoed: not on stdout, not on stderr.
	for _, k := range fake.validKeys[:3] {
		if strings.Contains(r.stdout+r.stderr, k) {
			t.Errorf("output shows the key %s", k)
		}
	}
}

func TestUnsealErrors(t *testing.T) {
	cleanEnv(t)
	fake, srv := newFakeVault(t)
	fake.initialise(5, 3)
	addr := "-address=" + srv.URL
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"empty stdin", "", []string{"operator", "unseal", addr}, 1, "no unseal key given"},
		{"blank line", "   \n", []string{"operator", "unseal", addr}, 1, "no unseal key given"},
		{"line too long", strings.Repeat("a", maxKeyLine+10), []string{"operator", "unseal", addr}, 1, "longer than 4096 bytes"},
		{"wrong key", "", []string{"operator", "unseal", addr, "abcd"}, 2, "Error unsealing"},
		{"two keys", "", []string{"operator", "unseal", addr, "a", "b"}, 1, "Too many arguments (expected 1, got 2)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(fake.unsealBodies)
			r := runCLI(t, strings.NewReader(tc.stdin), tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tc.code, tc.stderr)
			}
			if tc.code == 1 && len(fake.unsealBodies) != before {
				t.Error("a local error still reached the server")
			}
		})
	}
}

func TestUnsealReset(t *testing.T) {
	cleanEnv(t)
	fake, srv := newFakeVault(t)
	fake.initialise(5, 3)
	if r := runCLI(t, nil, "operator", "unseal", "-address="+srv.URL, fake.validKeys[0]); r.code != 0 {
		t.Fatalf("unseal: %s", r.stderr)
	}
	r := runCLI(t, nil, "operator", "unseal", "-reset", "-address="+srv.URL)
	if r.code != 0 || !strings.Contains(r.stdout, "Unseal Progress    0/3\n") {
		t.Errorf("reset: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	last := fake.unsealBodies[len(fake.unsealBodies)-1]
	if last["reset"] != true {
		t.Errorf("reset request body %v", last)
	}
}

func TestOperatorSeal(t *testing.T) {
	cleanEnv(t)
	fake, srv := newFakeVault(t)
	fake.initialise(1, 1)
	fake.sealed = false
	t.Setenv("VAULT_ADDR", srv.URL)

	// No token: the server says no, exit 2.
	r := runCLI(t, nil, "operator", "seal")
	if r.code != 2 || !strings.Contains(r.stderr, "Error sealing") || !strings.Contains(r.stderr, "permission denied") {
		t.Errorf("no token: exit %d, stderr %q", r.code, r.stderr)
	}

	// The token saved by `vault login` in ~/.vault-token.
	if err := os.WriteFile(filepath.Join(os.Getenv("HOME"), ".vault-token"), []byte(fake.rootToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, nil, "operator", "seal")
	if r.code != 0 || r.stdout != "Success! Vault is sealed.\n" {
		t.Errorf("saved token: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}

	// VAULT_TOKEN wins over the saved token.
	t.Setenv("VAULT_TOKEN", "hvs.other")
	runCLI(t, nil, "operator", "seal")
	if got := fake.sealTokens[len(fake.sealTokens)-1]; got != "hvs.other" {
		t.Errorf("token sent %q, want VAULT_TOKEN's", got)
	}
}

func TestWrapText(t *testing.T) {
	got := wrapText("aaa bbb ccc dddd e", 7)
	if want := "aaa bbb\nccc\ndddd e"; got != want {
		t.Errorf("wrapText = %q, want %q", got, want)
	}
}

// TestTLSFlags: an HTTPS server whose certificate the client cannot verify
// is refused; -ca-cert or VAULT_CACERT trusts it; -tls-skip-verify skips
// the check.
func TestTLSFlags(t *testing.T) {
	cleanEnv(t)
	fake := &fakeVault{t: t, sealed: true}
	fake.initialise(1, 1)
	srv := httptest.NewTLSServer(fake)
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := "-address=" + srv.URL

	if r := runCLI(t, nil, "status", addr); r.code != 1 || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("unverified: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "status", addr, "-ca-cert="+caFile); r.code != 2 {
		t.Errorf("-ca-cert: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "status", addr, "-tls-skip-verify"); r.code != 2 {
		t.Errorf("-tls-skip-verify: exit %d, stderr %q", r.code, r.stderr)
	}
	t.Setenv("VAULT_CACERT", caFile)
	if r := runCLI(t, nil, "status", addr); r.code != 2 {
		t.Errorf("VAULT_CACERT: exit %d, stderr %q", r.code, r.stderr)
	}
	t.Setenv("VAULT_CACERT", filepath.Join(t.TempDir(), "missing.pem"))
	if r := runCLI(t, nil, "status", addr); r.code != 1 || !strings.Contains(r.stderr, "reading the client environment") {
		t.Errorf("missing VAULT_CACERT file: exit %d, stderr %q", r.code, r.stderr)
	}
}
