package command_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestLoginMethods logs in with -method=userpass, approle and jwt against
// a real server configured through the CLI, with no VAULT_TOKEN: each
// login stores its token in the token helper file (0600), the JSON output
// is the server's login answer (the accessor and policies a lookup of
// that token gives), and the next command runs as that token.
func TestLoginMethods(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	admin := newCLI(t, s)

	// userpass
	admin.must("", "auth", "enable", "userpass")
	admin.must("", "write", "auth/userpass/users/alice", "password=pw", "token_policies=default")
	// approle, with a role ID and secret ID read back through the CLI
	admin.must("", "auth", "enable", "approle")
	admin.must("", "write", "auth/approle/role/ci", "token_policies=default", "token_ttl=1h")
	roleID := admin.must("", "read", "-field=role_id", "auth/approle/role/ci/role-id")
	secretID := admin.must("", "write", "-f", "-field=secret_id", "auth/approle/role/ci/secret-id")
	// jwt, with a key of the test's own
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(t.TempDir(), "pub.pem")
	if err := os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	admin.must("", "auth", "enable", "jwt")
	admin.must("", "write", "auth/jwt/config", "jwt_validation_pubkeys=@"+pubFile, "bound_issuer=https://ci.example")
	admin.must("", "write", "auth/jwt/role/deploy", "role_type=jwt", "user_claim=sub", "bound_audiences=vaultd", "token_policies=default")
	jwt := signJWT(t, key, map[string]any{
		"iss": "https://ci.example", "sub": "pipeline-7", "aud": "vaultd",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	})

	tests := []struct {
		method string
		args   []string
		path   string // the stored token's path
	}{
		{"userpass", []string{"username=alice", "password=pw"}, "auth/userpass/login/alice"},
		{"approle", []string{"role_id=" + roleID, "secret_id=" + secretID}, "auth/approle/login"},
		{"jwt", []string{"role=deploy", "jwt=" + jwt}, "auth/jwt/login"},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			c := newCLI(t, s)
			delete(c.env, "VAULT_TOKEN")
			out := c.must("", append([]string{"login", "-method=" + tc.method}, tc.args...)...)
			if !strings.HasPrefix(out, "Success! You are now authenticated.") || !hasRow(out, "token_policies", `["default"]`) {
				t.Errorf("login output:\n%s", out)
			}
			stored := c.tokenFile(t)
			if !hasRow(out, "token", stored) {
				t.Errorf("the file holds %q, the table shows:\n%s", stored, out)
			}
			// The next command runs as the stored token.
			var self api.Secret
			if err := json.Unmarshal([]byte(c.must("", "token", "lookup", "-format=json")), &self); err != nil {
				t.Fatal(err)
			}
			if self.Data["path"] != tc.path || self.Data["id"] != stored {
				t.Errorf("token lookup: path %v id %v, want %s %s", self.Data["path"], self.Data["id"], tc.path, stored)
			}

			// -format=json, not stored: the login answer itself.
			r := c.run("", append([]string{"login", "-no-store", "-format=json", "-method=" + tc.method}, tc.args...)...)
			var got api.Secret
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil || got.Auth == nil {
				t.Fatalf("login -format=json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			look, err := s.Client.Auth().Token().Lookup(got.Auth.ClientToken)
			if err != nil {
				t.Fatal(err)
			}
			accessor, _ := look.TokenAccessor()
			policies, _ := look.TokenPolicies()
			if got.Auth.Accessor != accessor || !reflect.DeepEqual(got.Auth.TokenPolicies, policies) || look.Data["path"] != tc.path {
				t.Errorf("JSON auth %+v; the server says accessor %s policies %v path %v", got.Auth, accessor, policies, look.Data["path"])
			}
			if c.tokenFile(t) != stored {
				t.Error("-no-store replaced the stored token")
			}
		})
	}

	// A refused login leaves the stored token alone and exits 2.
	c := newCLI(t, s)
	delete(c.env, "VAULT_TOKEN")
	c.must("", "login", "-method=userpass", "username=alice", "password=pw")
	stored := c.tokenFile(t)
	for _, args := range [][]string{
		{"-method=userpass", "username=alice", "password=wrong"},
		{"-method=approle", "role_id=" + roleID, "secret_id=wrong"},
		{"-method=jwt", "role=deploy", "jwt=" + jwt + "x"},
	} {
		r := c.run("", append([]string{"login"}, args...)...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "Error authenticating: Error making API request.") {
			t.Errorf("login %v: exit %d %s", args, r.code, r.stderr)
		}
	}
	if r := c.run("", "login", "-method=jwt", "role=deploy"); r.code != 1 || !strings.Contains(r.stderr, "Missing jwt") {
		t.Errorf("jwt login without jwt=: exit %d %s", r.code, r.stderr)
	}
	if c.tokenFile(t) != stored {
		t.Error("a refused login replaced the stored token")
	}
}

func signJWT(t *testing.T, key *ecdsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := josejwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
