package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/vaulttest"
)

// walkthroughSecret is what the walkthrough stores at secret/my-api.
var walkthroughSecret = map[string]any{
	"DB_PASSWORD": "supersecret-from-vault",
	"API_KEY":     "vault-managed-api-key-xyz",
	"DB_HOST":     "prod-db.example.com",
}

// flowSecrets are the secrets one run of the walkthrough handles.
type flowSecrets struct {
	root, rootAccessor   string
	child, childAccessor string // auth/token/create
	login, loginAccessor string // auth/kubernetes/login
	jwt                  string
}

// runWalkthrough is the walkthrough article's flow against s: auth enable
// kubernetes and its config, kv put, kv get, policy write, the role, a
// token create, a kubernetes login, and the application reading its secret
// with the token it got.
func runWalkthrough(t *testing.T, s *vaulttest.Server) flowSecrets {
	t.Helper()
	ctx := context.Background()
	c := s.Client
	cluster := kube.Start(ctx, t)
	must(t, cluster.EnsureNamespace(ctx, "default", nil), "namespace default")
	_, err := cluster.CreateServiceAccount(ctx, "default", "default")
	must(t, err, "service account default/default")
	must(t, cluster.EnsureNamespace(ctx, "vaultd", nil), "namespace vaultd")
	reviewer, err := cluster.CreateReviewer(ctx, "vaultd", "vaultd")
	must(t, err, "reviewer")
	jwt, err := cluster.CreateToken(ctx, "default", "default", nil, 3600)
	must(t, err, "pod token")
	fs := flowSecrets{root: s.RootToken, jwt: jwt}

	self, err := c.Auth().Token().LookupSelf()
	must(t, err, "lookup-self")
	fs.rootAccessor = self.Data["accessor"].(string)

	must(t, c.Sys().EnableAuthWithOptions("kubernetes", &api.EnableAuthOptions{Type: "kubernetes"}), "auth enable kubernetes")
	_, err = c.Logical().Write("auth/kubernetes/config", map[string]any{
		"kubernetes_host": cluster.Host, "kubernetes_ca_cert": string(cluster.CACertPEM),
		"token_reviewer_jwt": reviewer, "disable_local_ca_jwt": true,
	})
	must(t, err, "write auth/kubernetes/config")

	_, err = c.KVv2("secret").Put(ctx, "my-api", walkthroughSecret)
	must(t, err, "kv put")
	got, err := c.KVv2("secret").Get(ctx, "my-api")
	must(t, err, "kv get")
	if got.Data["DB_PASSWORD"] != walkthroughSecret["DB_PASSWORD"] {
		t.Fatalf("kv get: %v", got.Data)
	}

	must(t, c.Sys().PutPolicy("my-api-policy", `path "secret/data/my-api" { capabilities = ["read"] }`), "policy write")
	_, err = c.Logical().Write("auth/kubernetes/role/my-api-role", map[string]any{
		"bound_service_account_names": "default", "bound_service_account_namespaces": "default",
		"policies": "my-api-policy", "ttl": "1h",
	})
	must(t, err, "write role")

	child, err := c.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"my-api-policy"}, TTL: "1h"})
	must(t, err, "token create")
	fs.child, fs.childAccessor = child.Auth.ClientToken, child.Auth.Accessor

	login, err := s.NewClient("").Logical().Write("auth/kubernetes/login", map[string]any{"role": "my-api-role", "jwt": jwt})
	must(t, err, "kubernetes login")
	if login == nil || login.Auth == nil || login.Auth.ClientToken == "" {
		t.Fatalf("login gave no token: %+v", login)
	}
	fs.login, fs.loginAccessor = login.Auth.ClientToken, login.Auth.Accessor

	app, err := s.NewClient(fs.login).KVv2("secret").Get(ctx, "my-api")
	must(t, err, "the application reads its secret")
	if app.Data["API_KEY"] != walkthroughSecret["API_KEY"] {
		t.Fatalf("application read: %v", app.Data)
	}
	return fs
}

// TestAuditWalkthroughFlow: every operation of the walkthrough leaves a
// request and a response entry with the right path, operation and address;
// nothing secret is in the file in plain text; sys/audit-hash finds the
// secret value and the tokens.
func TestAuditWalkthroughFlow(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	logPath := filepath.Join(t.TempDir(), "audit.log")
	enableFileAudit(t, s.Client, "file", logPath, nil)

	fs := runWalkthrough(t, s)
	// Neither is audited: both are answered without reaching core.
	_, err := s.Client.Sys().Health()
	must(t, err, "sys/health")
	_, err = s.Client.Sys().SealStatus()
	must(t, err, "sys/seal-status")

	lines := readAuditLog(t, logPath)

	tests := []struct {
		name, path, op, mountType string
		token                     string // the caller's token, "" when none
	}{
		{"auth enable", "sys/auth/kubernetes", "update", "system", fs.root},
		{"kv put", "secret/data/my-api", "create", "kv", fs.root},
		{"policy write", "sys/policies/acl/my-api-policy", "update", "system", fs.root},
		{"token create", "auth/token/create", "update", "token", fs.root},
		{"login", "auth/kubernetes/login", "update", "kubernetes", ""},
	}
	hash := func(in string) string { return auditHash(t, s.Client, "file", in) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := onePair(t, lines, tt.path, tt.op)
			checkPair(t, p, tt.mountType, tt.token, hash)
		})
	}

	t.Run("kv get", func(t *testing.T) {
		// Read twice: by the operator, then by the application with the
		// token its login got.
		reads := pairsFor(t, lines, "secret/data/my-api", "read")
		if len(reads) != 2 {
			t.Fatalf("want 2 reads of secret/data/my-api, found %d", len(reads))
		}
		checkPair(t, reads[0], "kv", fs.root, hash)
		checkPair(t, reads[1], "kv", fs.login, hash)
		for _, p := range reads {
			data, _ := p.resp.entry.Response.Data["data"].(map[string]any)
			for k, v := range walkthroughSecret {
				if data[k] != hash(v.(string)) {
					t.Errorf("response data.%s = %v, want the HMAC of the value", k, data[k])
				}
			}
		}
		if got := reads[1].req.entry.Auth.Policies; !slices.Contains(got, "my-api-policy") {
			t.Errorf("the application's read is logged with policies %v", got)
		}
	})

	t.Run("values are HMAC'd where they appear", func(t *testing.T) {
		put := onePair(t, lines, "secret/data/my-api", "create").req.entry.Request
		data, _ := put.Data["data"].(map[string]any)
		if data["DB_PASSWORD"] != hash("supersecret-from-vault") {
			t.Errorf("kv put request data.DB_PASSWORD = %v", data["DB_PASSWORD"])
		}
		created := onePair(t, lines, "auth/token/create", "update").resp.entry.Response.Auth
		if created == nil || created.ClientToken != hash(fs.child) || created.Accessor != hash(fs.childAccessor) {
			t.Errorf("token create response auth = %+v, want the HMACs of the new token and accessor", created)
		}
		login := onePair(t, lines, "auth/kubernetes/login", "update")
		if login.req.entry.Request.Data["jwt"] != hash(fs.jwt) {
			t.Errorf("login request data.jwt = %v, want its HMAC", login.req.entry.Request.Data["jwt"])
		}
		issued := login.resp.entry.Response.Auth
		if issued == nil || issued.ClientToken != hash(fs.login) || issued.Accessor != hash(fs.loginAccessor) {
			t.Fatalf("login response auth = %+v, want the HMACs of the issued token and accessor", issued)
		}
		if !slices.Contains(issued.Policies, "my-api-policy") || issued.TokenTTL != 3600 {
			t.Errorf("login response auth: policies %v ttl %d", issued.Policies, issued.TokenTTL)
		}
	})

	t.Run("response entries carry their own time", func(t *testing.T) {
		// The login calls the API server between its two entries.
		login := onePair(t, lines, "auth/kubernetes/login", "update")
		if login.req.entry.Time == login.resp.entry.Time {
			t.Errorf("the login's response entry has its request's time %s", login.req.entry.Time)
		}
	})

	t.Run("sys/health and sys/seal-status are not audited", func(t *testing.T) {
		for _, l := range lines {
			if p := l.entry.Request.Path; strings.HasPrefix(p, "sys/health") || strings.HasPrefix(p, "sys/seal-status") {
				t.Fatalf("%s was audited: %s", p, l.raw)
			}
		}
	})

	t.Run("nothing secret in plain text", func(t *testing.T) {
		// Read again: the audit-hash calls above are in the log too, and
		// their input must not be written in plain text either.
		text, err := os.ReadFile(logPath)
		must(t, err, "read log")
		secrets := map[string]string{
			"root token": fs.root, "root accessor": fs.rootAccessor,
			"created token": fs.child, "created accessor": fs.childAccessor,
			"login token": fs.login, "login accessor": fs.loginAccessor,
			"service-account JWT": fs.jwt,
		}
		for k, v := range walkthroughSecret {
			secrets["secret value "+k] = v.(string)
		}
		for name, v := range secrets {
			if v == "" {
				t.Fatalf("%s is empty: the check would prove nothing", name)
			}
			if strings.Contains(string(text), v) {
				t.Errorf("the %s appears in the audit log in plain text", name)
			}
			// The JWT's claims section alone would give away the pod.
			if name == "service-account JWT" && strings.Contains(string(text), strings.Split(v, ".")[1]) {
				t.Errorf("the JWT's claims appear in the audit log")
			}
		}
		for _, want := range []string{hash("supersecret-from-vault"), hash(fs.child), hash(fs.login), hash(fs.root)} {
			if !strings.Contains(string(text), want) {
				t.Errorf("audit-hash gave %s, which is not in the log", want)
			}
		}
	})
}

// checkPair checks what every entry pair must show: matching IDs, the
// caller's address, the mount, and the caller's token as its HMAC.
func checkPair(t *testing.T, p auditPair, mountType, token string, hash func(string) string) {
	t.Helper()
	for _, l := range []*auditLine{p.req, p.resp} {
		e := l.entry
		r := e.Request
		if r.RemoteAddr != "127.0.0.1" || r.RemotePort <= 0 {
			t.Errorf("%s entry: remote %q port %d", e.Type, r.RemoteAddr, r.RemotePort)
		}
		if r.Namespace == nil || r.Namespace.ID != "root" {
			t.Errorf("%s entry: namespace %+v", e.Type, r.Namespace)
		}
		if r.MountType != mountType || r.MountAccessor == "" {
			t.Errorf("%s entry: mount_type %q accessor %q, want %q", e.Type, r.MountType, r.MountAccessor, mountType)
		}
		if ts, err := time.Parse(time.RFC3339Nano, e.Time); err != nil || time.Since(ts) > time.Hour {
			t.Errorf("%s entry: time %q", e.Type, e.Time)
		}
		if e.Error != "" {
			t.Errorf("%s entry: error %q", e.Type, e.Error)
		}
		if e.Auth == nil {
			t.Fatalf("%s entry has no auth block", e.Type)
		}
		if token == "" {
			if r.ClientToken != "" || e.Auth.ClientToken != "" {
				t.Errorf("%s entry of an unauthenticated request carries a token", e.Type)
			}
			continue
		}
		want := hash(token)
		if r.ClientToken != want || e.Auth.ClientToken != want {
			t.Errorf("%s entry: client_token %q / auth %q, want %q", e.Type, r.ClientToken, e.Auth.ClientToken, want)
		}
		if !strings.HasPrefix(r.ClientTokenAccessor, audit.HMACPrefix) || e.Auth.Accessor != r.ClientTokenAccessor {
			t.Errorf("%s entry: accessor %q / %q not HMAC'd", e.Type, r.ClientTokenAccessor, e.Auth.Accessor)
		}
		if e.Auth.TokenType != "service" || len(e.Auth.Policies) == 0 {
			t.Errorf("%s entry: auth %+v", e.Type, e.Auth)
		}
	}
	// The response entry is stamped when the response is logged.
	reqTime, _ := time.Parse(time.RFC3339Nano, p.req.entry.Time)
	respTime, _ := time.Parse(time.RFC3339Nano, p.resp.entry.Time)
	if respTime.Before(reqTime) {
		t.Errorf("response entry at %s precedes its request entry at %s", p.resp.entry.Time, p.req.entry.Time)
	}
	if p.resp.entry.Response == nil || p.resp.entry.Response.MountType != mountType {
		t.Errorf("response entry: response %+v", p.resp.entry.Response)
	}
}
