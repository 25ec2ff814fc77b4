package command_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/vaulttest"
)

// tokenFile reads the token helper file, checking it is the user's alone.
func (c *cli) tokenFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(c.home, ".vault-token")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatalf("token helper file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token helper file mode %v, want 0600", fi.Mode().Perm())
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLoginTokenHelper: vault login stores the token in ~/.vault-token,
// later commands use it when VAULT_TOKEN is unset, VAULT_TOKEN wins when
// set, and -format=json prints the token's properties as the API gives
// them.
func TestLoginTokenHelper(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := newCLI(t, s)
	delete(c.env, "VAULT_TOKEN")

	if r := c.run("", "kv", "put", "secret/app", "k=v"); r.code != 2 {
		t.Fatalf("without a token: exit %d %s", r.code, r.stderr)
	}
	out := c.must("", "login", s.RootToken)
	if !strings.HasPrefix(out, "Success! You are now authenticated.") || !hasRow(out, "token_policies", `["root"]`) {
		t.Errorf("login output:\n%s", out)
	}
	if got := c.tokenFile(t); got != s.RootToken {
		t.Fatalf("token helper holds %q", got)
	}
	c.must("", "kv", "put", "secret/app", "k=v")
	c.must("", "login", "-no-print", "token="+s.RootToken)
	if r := c.run("", "login", "role=x"); r.code != 1 || !strings.Contains(r.stderr, "-method") {
		t.Errorf("K=V pairs without -method: exit %d %s", r.code, r.stderr)
	}
	if got := c.must("", "print", "token"); got != s.RootToken {
		t.Errorf("print token = %q", got)
	}

	// A second login, by standard input and in JSON, replaces the token.
	other := defaultToken(t, s)
	r := c.run(other+"\n", "login", "-format=json", "-")
	if r.code != 0 {
		t.Fatalf("login -: exit %d %s", r.code, r.stderr)
	}
	var got api.Secret
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Auth == nil {
		t.Fatalf("login JSON: %v\n%s", err, r.stdout)
	}
	self, err := s.NewClient(other).Auth().Token().LookupSelf()
	if err != nil {
		t.Fatal(err)
	}
	accessor, _ := self.TokenAccessor()
	policies, _ := self.TokenPolicies()
	ttl, _ := self.TokenTTL()
	if got.Auth.ClientToken != other || got.Auth.Accessor != accessor || !reflect.DeepEqual(got.Auth.TokenPolicies, policies) ||
		got.Auth.LeaseDuration > int(ttl.Seconds())+1 || got.Auth.LeaseDuration < int(ttl.Seconds())-5 {
		t.Errorf("login JSON auth %+v, lookup-self says accessor %s policies %v ttl %v", got.Auth, accessor, policies, ttl)
	}
	if tok := c.tokenFile(t); tok != other {
		t.Fatalf("token helper holds %q after the second login", tok)
	}
	// The default policy cannot write secrets: the stored token is used.
	if r := c.run("", "kv", "put", "secret/app", "k=w"); r.code != 2 || !strings.Contains(r.stderr, "403") {
		t.Errorf("with the stored default token: exit %d %s", r.code, r.stderr)
	}
	// VAULT_TOKEN wins over the file, and login says so.
	c.env["VAULT_TOKEN"] = s.RootToken
	c.must("", "kv", "put", "secret/app", "k=w")
	r = c.run("", "login", "-no-store", s.RootToken)
	if r.code != 0 || !strings.Contains(r.stderr, "VAULT_TOKEN environment variable is set") {
		t.Errorf("login with VAULT_TOKEN set: exit %d %s", r.code, r.stderr)
	}
	if tok := c.tokenFile(t); tok != other {
		t.Errorf("-no-store replaced the stored token")
	}
	delete(c.env, "VAULT_TOKEN")

	// A bad token is refused and leaves the file alone.
	if r := c.run("", "login", "hvs.nosuchtoken"); r.code != 2 || !strings.Contains(r.stderr, "Error authenticating") {
		t.Errorf("bad token: exit %d %s", r.code, r.stderr)
	}
	if r := c.run("", "login"); r.code != 1 || !strings.Contains(r.stderr, "no token given") {
		t.Errorf("no token: exit %d %s", r.code, r.stderr)
	}
	if tok := c.tokenFile(t); tok != other {
		t.Errorf("a refused login replaced the stored token")
	}
}

// TestLoginKubernetes configures the kubernetes method against a real
// kube-apiserver with the CLI alone (K=@file for the CA and the reviewer
// JWT), logs in as a pod with -method=kubernetes, and reads the pod's
// secret with the stored token.
func TestLoginKubernetes(t *testing.T) {
	ctx := t.Context()
	cluster := kube.Start(ctx, t)
	s := vaulttest.Start(t, vaulttest.Options{})
	c := newCLI(t, s)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := cluster.EnsureNamespace(ctx, "default", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.CreateServiceAccount(ctx, "default", "default"); err != nil {
		t.Fatal(err)
	}
	if err := cluster.EnsureNamespace(ctx, "vaultd", nil); err != nil {
		t.Fatal(err)
	}
	reviewer, err := cluster.CreateReviewer(ctx, "vaultd", "vaultd")
	if err != nil {
		t.Fatal(err)
	}
	jwt, err := cluster.CreateToken(ctx, "default", "default", nil, 3600)
	if err != nil {
		t.Fatal(err)
	}
	caFile, reviewerFile, jwtFile := write("ca.crt", string(cluster.CACertPEM)), write("reviewer", reviewer), write("jwt", jwt)

	c.must("", "auth", "enable", "kubernetes")
	c.must("", "write", "auth/kubernetes/config", "kubernetes_host="+cluster.Host,
		"kubernetes_ca_cert=@"+caFile, "token_reviewer_jwt=@"+reviewerFile, "disable_local_ca_jwt=true")
	c.must("path \"secret/data/my-api\" {\n  capabilities = [\"read\"]\n}\n", "policy", "write", "my-api-policy", "-")
	c.must("", "write", "auth/kubernetes/role/my-api-role", "bound_service_account_names=default",
		"bound_service_account_namespaces=default", "policies=my-api-policy", "ttl=1h")
	c.must("", "kv", "put", "secret/my-api", "DB_PASSWORD=from-the-cli")
	c.must("", "kv", "put", "secret/other", "k=v")

	delete(c.env, "VAULT_TOKEN")
	out := c.must("", "login", "-method=kubernetes", "role=my-api-role", "jwt=@"+jwtFile)
	if !strings.HasPrefix(out, "Success! You are now authenticated.") {
		t.Errorf("login output:\n%s", out)
	}
	for _, row := range [][2]string{{"token_policies", `["default" "my-api-policy"]`}, {"token_meta_role", "my-api-role"}, {"token_duration", "1h"}} {
		if !hasRow(out, row[0], row[1]) {
			t.Errorf("login output lacks the row %s %s:\n%s", row[0], row[1], out)
		}
	}
	stored := c.tokenFile(t)
	if got := c.must("", "kv", "get", "-field=DB_PASSWORD", "secret/my-api"); got != "from-the-cli" {
		t.Errorf("pod read %q", got)
	}
	if r := c.run("", "kv", "get", "secret/other"); r.code != 2 || !strings.Contains(r.stderr, "* permission denied") {
		t.Errorf("pod read of another secret: exit %d %s", r.code, r.stderr)
	}

	// The JSON output is the login response: its token works and
	// lookup-self agrees with its auth block.
	r := c.run("", "login", "-method=kubernetes", "-no-store", "-format=json", "role=my-api-role", "jwt=@"+jwtFile)
	if r.code != 0 {
		t.Fatalf("json login: exit %d %s", r.code, r.stderr)
	}
	var sec api.Secret
	if err := json.Unmarshal([]byte(r.stdout), &sec); err != nil || sec.Auth == nil {
		t.Fatalf("login JSON: %v\n%s", err, r.stdout)
	}
	self, err := s.NewClient(sec.Auth.ClientToken).Auth().Token().LookupSelf()
	if err != nil {
		t.Fatalf("the JSON login's token: %v", err)
	}
	accessor, _ := self.TokenAccessor()
	policies, _ := self.TokenPolicies()
	sort.Strings(policies)
	meta, _ := self.TokenMetadata()
	if sec.Auth.Accessor != accessor || !reflect.DeepEqual(sec.Auth.TokenPolicies, policies) || !reflect.DeepEqual(sec.Auth.Metadata, meta) ||
		sec.Auth.LeaseDuration != 3600 || sec.Auth.Metadata["service_account_name"] != "default" {
		t.Errorf("login JSON auth %+v; lookup-self: accessor %s policies %v meta %v", sec.Auth, accessor, policies, meta)
	}
	if c.tokenFile(t) != stored {
		t.Error("-no-store replaced the stored token")
	}

	// A role the service account is not bound to: refused, exit 2.
	c.env["VAULT_TOKEN"] = s.RootToken
	c.must("", "write", "auth/kubernetes/role/other", "bound_service_account_names=someone-else",
		"bound_service_account_namespaces=default", "policies=default")
	delete(c.env, "VAULT_TOKEN")
	if r := c.run("", "login", "-method=kubernetes", "role=other", "jwt=@"+jwtFile); r.code != 2 || !strings.Contains(r.stderr, "Error authenticating") {
		t.Errorf("unbound role: exit %d %s", r.code, r.stderr)
	}
	if r := c.run("", "login", "-method=kubernetes", "jwt=@"+jwtFile); r.code != 1 || !strings.Contains(r.stderr, "Missing role") {
		t.Errorf("no role: exit %d %s", r.code, r.stderr)
	}
}

// hasRow reports whether a Key/Value table has the row key value.
func hasRow(table, key, value string) bool {
	for _, line := range strings.Split(table, "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key && strings.TrimSpace(v) == value {
			return true
		}
	}
	return false
}
