package agent_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/test/proc"
	"github.com/vaultd/vaultd/vaulttest"
)

// The agent runs as a real child process (the vaultd binary, `vaultd
// agent`) against a real vaultd and a real kube-apiserver.
var (
	cluster kube.Shared
	vaultd  proc.Binary
)

func TestMain(m *testing.M) { cluster.Main(m) }

// The walkthrough's template, policy and secret.
const (
	walkthroughTemplate = `{{- with secret "secret/data/my-api" -}}
export DB_PASSWORD="{{ .Data.data.DB_PASSWORD }}"
export API_KEY="{{ .Data.data.API_KEY }}"
export DB_HOST="{{ .Data.data.DB_HOST }}"
{{- end }}
`
	walkthroughPolicy = `path "secret/data/my-api" {
  capabilities = ["read"]
}`
)

func rendered(password string) string {
	return fmt.Sprintf("export DB_PASSWORD=%q\nexport API_KEY=\"vault-managed-api-key-xyz\"\nexport DB_HOST=\"prod-db.example.com\"\n", password)
}

// pod is one service account's view: a namespace, a role bound to it,
// and a TokenRequest-minted token in a file, as the kubelet mounts it.
type pod struct {
	namespace string
	jwtFile   string
	dir       string // the test's scratch directory
}

// setupWalkthrough configures the kubernetes auth method, the secret, the
// policy and the role my-api-role (with ttl and maxTTL) on the server
// root talks to, for a fresh namespace of the shared cluster.
func setupWalkthrough(t testing.TB, root *api.Client, ttl, maxTTL string) *pod {
	t.Helper()
	ctx := context.Background()
	c := cluster.Get(t)
	ns := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(ns) > 50 {
		ns = ns[:50]
	}
	ns = strings.Trim(ns, "-")
	must(t, c.EnsureNamespace(ctx, ns, nil), "namespace")
	_, err := c.CreateServiceAccount(ctx, ns, "default")
	must(t, err, "service account")
	reviewer, err := c.CreateReviewer(ctx, "vaultd", "vaultd")
	must(t, err, "reviewer")

	must(t, root.Sys().EnableAuthWithOptions("kubernetes", &api.EnableAuthOptions{Type: "kubernetes"}), "auth enable kubernetes")
	_, err = root.Logical().Write("auth/kubernetes/config", map[string]any{
		"kubernetes_host":      c.Host,
		"kubernetes_ca_cert":   string(c.CACertPEM),
		"token_reviewer_jwt":   reviewer,
		"disable_local_ca_jwt": true,
	})
	must(t, err, "auth config")
	putSecret(t, root, "supersecret-from-vault")
	must(t, root.Sys().PutPolicy("my-api-policy", walkthroughPolicy), "policy")
	role := map[string]any{
		"bound_service_account_names":      "default",
		"bound_service_account_namespaces": ns,
		"policies":                         "my-api-policy",
		"ttl":                              ttl,
	}
	if maxTTL != "" {
		role["max_ttl"] = maxTTL
	}
	_, err = root.Logical().Write("auth/kubernetes/role/my-api-role", role)
	must(t, err, "role")

	jwt, err := c.CreateToken(ctx, ns, "default", nil, 3600)
	must(t, err, "service-account token")
	dir := t.TempDir()
	p := &pod{namespace: ns, jwtFile: filepath.Join(dir, "sa-token"), dir: dir}
	must(t, os.WriteFile(p.jwtFile, []byte(jwt), 0o600), "write token file")
	return p
}

func putSecret(t testing.TB, root *api.Client, password string) {
	t.Helper()
	_, err := root.KVv2("secret").Put(context.Background(), "my-api", map[string]any{
		"DB_PASSWORD": password,
		"API_KEY":     "vault-managed-api-key-xyz",
		"DB_HOST":     "prod-db.example.com",
	})
	must(t, err, "kv put")
}

// issueConfig is the issue's example config, pointed at addr with the
// pod's token file and a sink and destination in the pod's directory.
func (p *pod) issueConfig(addr, extra string) string {
	return fmt.Sprintf(`vault {
  address = %q
  retry { num_retries = 2 }
}
auto_auth {
  method "kubernetes" {
    mount_path = "auth/kubernetes"
    config = {
      role       = "my-api-role"
      token_path = %q
    }
    min_backoff = "200ms"
    max_backoff = "1s"
  }
  sink "file" { config = { path = %q } }
}
template {
  destination = %q
  perms       = "0640"
  contents    = <<EOT
%sEOT
}
%s
`, addr, p.jwtFile, p.sink(), p.dest(), walkthroughTemplate, extra)
}

func (p *pod) sink() string { return filepath.Join(p.dir, "home", ".vault-token") }
func (p *pod) dest() string { return filepath.Join(p.dir, "secrets", "config") }

func (p *pod) writeConfig(t testing.TB, name, text string) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	must(t, os.MkdirAll(filepath.Dir(p.sink()), 0o700), "sink dir")
	must(t, os.WriteFile(path, []byte(text), 0o600), "write config")
	return path
}

// agentEnv is the child's environment: nothing of the test's but PATH.
func agentEnv(t *testing.T, extra ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, extra...)
}

func startAgent(t *testing.T, env []string, args ...string) *proc.Proc {
	t.Helper()
	if env == nil {
		env = agentEnv(t)
	}
	return proc.Start(t, vaultd.Path(t), proc.Options{Env: env}, append([]string{"agent"}, args...)...)
}

// runInit runs an init-mode agent to the end and returns its exit code.
func runInit(t *testing.T, env []string, args ...string) (int, *proc.Proc) {
	t.Helper()
	a := startAgent(t, env, args...)
	_ = a.Wait(t, 2*time.Minute)
	return a.ExitCode(), a
}

// eventually polls cond every 100ms until it holds or the (generous)
// deadline passes, then fails with what.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func fileHolds(path, want string) func() bool {
	return func() bool {
		b, err := os.ReadFile(path)
		return err == nil && string(b) == want
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err, "read "+path)
	return string(b)
}

func must(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// auditedReads counts the requests to path in a JSON audit log.
func auditedReads(t *testing.T, logPath, path string) int {
	t.Helper()
	f, err := os.Open(logPath)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e struct {
			Type    string `json:"type"`
			Request struct {
				Path      string `json:"path"`
				Operation string `json:"operation"`
			} `json:"request"`
		}
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Type == "request" && e.Request.Path == path {
			n++
		}
	}
	return n
}

// auditedServer starts an in-process vaultd with a file audit device.
func auditedServer(t testing.TB) (*vaulttest.Server, string) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "audit.log")
	s := vaulttest.Start(t, vaulttest.Options{Audit: []*config.AuditDevice{
		{Type: "file", Path: "file/", Options: map[string]string{"file_path": log}},
	}})
	return s, log
}

func modeOf(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	must(t, err, "stat "+path)
	return st.Mode().Perm()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
