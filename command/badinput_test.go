package command_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/test/proc"
	"github.com/vaultd/vaultd/vaulttest"
)

// TestBadInput: every kind of mistake gets its exit code and a message a
// user can act on, and a local mistake sends nothing to the server.
func TestBadInput(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := newCLI(t, s)
	down := "http://" + proc.FreeAddr(t) // nothing listens there
	reader := defaultToken(t, s)
	missing := filepath.Join(t.TempDir(), "missing-file")

	tests := []struct {
		name   string
		token  string // VAULT_TOKEN instead of root's
		args   []string
		code   int
		stderr []string // each must appear
		lines  int      // when set, stderr has exactly this many lines
	}{
		{name: "unknown command", args: []string{"frobnicate"}, code: 127, stderr: []string{`Unknown command "frobnicate"`, "Usage: vaultd <command>"}},
		{name: "unknown subcommand", args: []string{"kv", "frobnicate"}, code: 1, stderr: []string{`Unknown command "kv frobnicate"`, "Usage: vault kv <subcommand>", "    put "}},
		{name: "bare group", args: []string{"policy"}, code: 1, stderr: []string{"Usage: vault policy <subcommand>"}},
		{name: "unknown flag", args: []string{"kv", "get", "-bogus", "secret/x"}, code: 1, stderr: []string{"flag provided but not defined: -bogus", "Usage: vault kv get"}},
		{name: "unknown flag after the path", args: []string{"write", "secret/data/x", "-bogus"}, code: 1, stderr: []string{"flag provided but not defined: -bogus", "Usage: vault write"}},
		{name: "bad flag value", args: []string{"kv", "get", "-version=two", "secret/x"}, code: 1, stderr: []string{`invalid value "two" for flag -version`}},
		{name: "bad format", args: []string{"kv", "get", "-format=xml", "secret/x"}, code: 1, stderr: []string{"Invalid output format: xml"}},
		{name: "kv put without data", args: []string{"kv", "put", "secret/x"}, code: 1, stderr: []string{"Must supply data"}},
		{name: "kv put without a path", args: []string{"kv", "put"}, code: 1, stderr: []string{"Not enough arguments (expected 1, got 0)", "Usage: vault kv put"}},
		{name: "write without a path", args: []string{"write"}, code: 1, stderr: []string{"Not enough arguments", "Usage: vault write"}},
		{name: "policy write without a file", args: []string{"policy", "write", "p"}, code: 1, stderr: []string{"Not enough arguments (expected 2, got 1)", "Usage: vault policy write"}},
		{name: "too many arguments", args: []string{"read", "a", "b=c", "-field"}, code: 1, stderr: []string{"flag needs an argument: -field"}},
		{name: "not K=V", args: []string{"write", "secret/data/x", "novalue"}, code: 1, stderr: []string{`Failed to parse K=V data: format must be key=value, got "novalue"`}},
		{name: "missing file", args: []string{"kv", "put", "secret/x", "k=@" + missing}, code: 1, stderr: []string{"Failed to parse K=V data: error reading file", "no such file or directory"}},
		{name: "missing policy file", args: []string{"policy", "write", "p", missing}, code: 1, stderr: []string{"Error opening policy file"}},
		{name: "undelete without versions", args: []string{"kv", "undelete", "secret/x"}, code: 1, stderr: []string{`No versions provided, use the "-versions" flag`}},
		{name: "unreachable", args: []string{"write", "-address=" + down, "secret/data/x", "k=v"}, code: 2, stderr: []string{"Error writing data to secret/data/x:", "connection refused"}, lines: 1},
		{name: "unreachable kv", args: []string{"kv", "put", "-address=" + down, "secret/x", "k=v"}, code: 2, stderr: []string{"connection refused"}, lines: 1},
		{name: "permission denied", token: reader, args: []string{"write", "secret/data/x", "k=v"}, code: 2, stderr: []string{
			"Error writing data to secret/data/x: Error making API request.\n\nURL: PUT " + s.Addr + "/v1/secret/data/x\nCode: 403. Errors:\n\n* permission denied\n"}},
		{name: "permission denied kv", token: reader, args: []string{"kv", "put", "secret/x", "k=v"}, code: 2, stderr: []string{"Code: 403. Errors:", "* preflight capability check returned 403"}},
		{name: "bad wrap TTL", args: []string{"kv", "put", "-wrap-ttl=banana", "secret/x", "k=v"}, code: 1, stderr: []string{`invalid value "banana" for flag -wrap-ttl`, "Usage: vault kv put"}},
		{name: "unwrap a token that wraps nothing", args: []string{"unwrap", reader}, code: 2, stderr: []string{
			"Error unwrapping: Error making API request.", "Code: 400. Errors:", "* wrapping token is not valid or does not exist"}},
		{name: "unwrap with two tokens", args: []string{"unwrap", "a", "b"}, code: 1, stderr: []string{"Too many arguments (expected 0-1, got 2)", "Usage: vault unwrap"}},
		{name: "wrapped write refused", token: reader, args: []string{"write", "-wrap-ttl=1m", "secret/data/x", "k=v"}, code: 2, stderr: []string{"Code: 403. Errors:", "* permission denied"}},
		{name: "bad token", token: "hvs.nosuchtoken", args: []string{"read", "secret/data/x"}, code: 2, stderr: []string{"Code: 403", "* permission denied"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.token != "" {
				c.env["VAULT_TOKEN"] = tc.token
				defer func() { c.env["VAULT_TOKEN"] = s.RootToken }()
			}
			r := c.run("", tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if tc.lines > 0 && strings.Count(strings.TrimSuffix(r.stderr, "\n"), "\n")+1 != tc.lines {
				t.Errorf("stderr has more than %d line(s):\n%s", tc.lines, r.stderr)
			}
			if r.code != 0 && r.stdout != "" && !strings.HasPrefix(tc.name, "unknown") {
				t.Errorf("an error printed on stdout: %q", r.stdout)
			}
		})
	}
	// Nothing any of them tried was written.
	if sec, err := s.Client.Logical().Read("secret/data/x"); err != nil || sec != nil {
		t.Errorf("secret/data/x exists after the failures: %v %v", sec, err)
	}
	if pol, _ := s.Client.Sys().GetPolicy("p"); pol != "" {
		t.Errorf("policy p was written: %q", pol)
	}
	if _, err := os.Stat(filepath.Join(c.home, ".vault-token")); err == nil {
		t.Error("a token helper file appeared")
	}
}
