package command_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// goldenWraps are wrapping tokens made through vault/api for the golden
// unwrap steps, over root's cubbyhole so that no other family's listing
// sees what they wrap.
type goldenWraps struct {
	read, readJSON string // a read of cubbyhole/golden
	list           string // a LIST of cubbyhole/
	wrap           string // sys/wrapping/wrap of {"password": "s3cret"}
	used           string // already unwrapped
}

func makeWraps(t *testing.T, s *vaulttest.Server) goldenWraps {
	t.Helper()
	if _, err := s.Client.Logical().Write("cubbyhole/golden", map[string]any{"password": "s3cret", "user": "ci"}); err != nil {
		t.Fatal(err)
	}
	w := goldenWraps{
		read:     wrapCall(t, s, func(c *api.Client) (*api.Secret, error) { return c.Logical().Read("cubbyhole/golden") }),
		readJSON: wrapCall(t, s, func(c *api.Client) (*api.Secret, error) { return c.Logical().Read("cubbyhole/golden") }),
		list:     wrapCall(t, s, func(c *api.Client) (*api.Secret, error) { return c.Logical().List("cubbyhole/") }),
		wrap: wrapCall(t, s, func(c *api.Client) (*api.Secret, error) {
			return c.Logical().Write("sys/wrapping/wrap", map[string]any{"password": "s3cret"})
		}),
		used: wrapCall(t, s, func(c *api.Client) (*api.Secret, error) { return c.Logical().Read("cubbyhole/golden") }),
	}
	if _, err := s.Client.Logical().Unwrap(w.used); err != nil {
		t.Fatal(err)
	}
	return w
}

// wrapCall makes call with a client asking for a 10-minute wrap, and
// returns the wrapping token.
func wrapCall(t *testing.T, s *vaulttest.Server, call func(*api.Client) (*api.Secret, error)) string {
	t.Helper()
	c, err := s.Client.Clone()
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(s.RootToken)
	c.SetWrappingLookupFunc(func(string, string) string { return "10m" })
	sec, err := call(c)
	if err != nil {
		t.Fatal(err)
	}
	if sec == nil || sec.WrapInfo == nil || sec.WrapInfo.Token == "" {
		t.Fatalf("not wrapped: %+v", sec)
	}
	return sec.WrapInfo.Token
}

// TestWrappedSecretIDToLogin is the AppRole delivery, end to end through
// the binary under both its names: `vaultd write -wrap-ttl=60s -f
// auth/approle/role/ci/secret-id` prints a wrapping token (and not the
// secret ID), `vault unwrap` with that token as the current one gives the
// secret ID once, and `vault login -method=approle` with it stores a token
// that the next command uses.
func TestWrappedSecretIDToLogin(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := newCLI(t, s)
	c.must("", "auth", "enable", "approle")
	c.must("", "write", "auth/approle/role/ci", "token_policies=default", "token_ttl=1h")
	roleID := c.must("", "read", "-field=role_id", "auth/approle/role/ci/role-id")

	r := c.exec("", vaultdBin.Path(t), "write", "-wrap-ttl=60s", "-f", "auth/approle/role/ci/secret-id")
	if r.code != 0 {
		t.Fatalf("vaultd write: exit %d: %s", r.code, r.stderr)
	}
	rows := tableRows(r.stdout)
	wrapTok := rows["wrapping_token:"]
	if wrapTok == "" || rows["wrapping_token_ttl:"] != "1m" || rows["wrapping_token_creation_path:"] != "auth/approle/role/ci/secret-id" || rows["wrapped_accessor:"] == "" {
		t.Fatalf("not the wrapping table:\n%s", r.stdout)
	}
	if _, ok := rows["secret_id"]; ok {
		t.Fatalf("the secret ID itself was printed:\n%s", r.stdout)
	}
	// The server holds it as a wrapping token of that path.
	look, err := s.Client.Logical().Write("sys/wrapping/lookup", map[string]any{"token": wrapTok})
	if err != nil || look.Data["creation_path"] != "auth/approle/role/ci/secret-id" {
		t.Fatalf("sys/wrapping/lookup: %v %v", look, err)
	}

	// No argument: the current token is the wrapping token.
	restore := c.setEnv(map[string]string{"VAULT_TOKEN": wrapTok})
	secretID := c.must("", "unwrap", "-field=secret_id")
	again := c.run("", "unwrap")
	restore()
	if secretID == "" {
		t.Fatal("unwrap -field=secret_id printed nothing")
	}
	if again.code != 2 || !strings.Contains(again.stderr, "* wrapping token is not valid or does not exist") {
		t.Fatalf("a second unwrap: exit %d: %s", again.code, again.stderr)
	}

	// Log in with it, no VAULT_TOKEN: the token helper file keeps the token.
	restore = c.setEnv(map[string]string{"VAULT_TOKEN": ""})
	defer restore()
	out := c.must("", "login", "-method=approle", "role_id="+roleID, "secret_id="+secretID)
	if !strings.Contains(out, "Success! You are now authenticated.") {
		t.Fatalf("login output:\n%s", out)
	}
	saved, err := os.ReadFile(filepath.Join(c.home, ".vault-token"))
	if err != nil {
		t.Fatal(err)
	}
	if tableRows(out)["token"] != string(saved) {
		t.Fatalf("the helper file holds %q, the login printed:\n%s", saved, out)
	}
	look = nil
	if look, err = s.Client.Auth().Token().Lookup(string(saved)); err != nil {
		t.Fatal(err)
	}
	if look.Data["path"] != "auth/approle/login" {
		t.Fatalf("the stored token came from %v", look.Data["path"])
	}
	lookup := tableRows(c.must("", "token", "lookup"))
	if lookup["path"] != "auth/approle/login" || lookup["policies"] != "[default]" {
		t.Fatalf("token lookup with the stored token: %v", lookup)
	}
}

// tableRows reads a Key/Value table into a map.
func tableRows(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, " "); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}
