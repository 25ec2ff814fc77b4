package deploy

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"
)

// docPages lists docs/*.md.
func docPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(repoRoot(t), "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) == 0 {
		t.Fatal("no pages in docs/")
	}
	sort.Strings(pages)
	return pages
}

func readSteps(t *testing.T, page string) []step {
	t.Helper()
	text, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := parseDoc(filepath.Base(page), string(text))
	if err != nil {
		t.Fatal(err)
	}
	return steps
}

// TestDocsMarked: every shell block of every page is run or skipped with a
// reason, and the markers parse. It needs no server.
func TestDocsMarked(t *testing.T) {
	total, skipped := 0, 0
	for _, page := range docPages(t) {
		for _, s := range readSteps(t, page) {
			total++
			if s.kind == "skip" {
				skipped++
			}
		}
	}
	t.Logf("%d marked blocks, %d skipped with a reason", total, skipped)
	if total == skipped {
		t.Fatal("no doc block is run")
	}
}

// docSetups prepares the pages that need more than a shell: the ones that
// talk to a Kubernetes API server or expect a production-style server.
var docSetups = map[string]func(t *testing.T, r *docRun, tools *docTools){
	"walkthrough.md": setupWalkthrough,
}

// TestDocs runs every page's marked blocks against the built binaries.
func TestDocs(t *testing.T) {
	skipUnlessLinux(t)
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("the docs' commands are shell commands and need bash: %v", err)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("the docs' commands use curl, which is not installed: %v", err)
	}
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatalf("the docs' commands use jq, which is not installed: %v", err)
	}
	tools := buildDocTools(t)
	for _, page := range docPages(t) {
		name := filepath.Base(page)
		t.Run(strings.TrimSuffix(name, ".md"), func(t *testing.T) {
			steps := readSteps(t, page)
			if !hasRunnable(steps) {
				t.Skipf("%s has no block that runs without a cluster", name)
			}
			r := newDocRun(t, name, repoRoot(t), tools.binDir(t, name != "quickstart.md"))
			if setup := docSetups[name]; setup != nil {
				setup(t, r, tools)
			}
			r.run(steps)
		})
	}
}

func hasRunnable(steps []step) bool {
	for _, s := range steps {
		if s.kind != "skip" && s.kind != "output" {
			return true
		}
	}
	return false
}

// docTools are the programs the pages call: vaultd as the Dockerfile
// builds it, and vault, which is the same binary under the name the image
// gives it with a link.
type docTools struct {
	vaultd string
}

func buildDocTools(t *testing.T) *docTools {
	t.Helper()
	bin, _ := vaultdBinary.get(t)
	return &docTools{vaultd: bin}
}

// binDir gives a page a directory of its own for PATH (and GOBIN) with
// vault in it and, unless the page installs it itself, vaultd. vault is a
// link to the built vaultd, as in the image.
func (d *docTools) binDir(t *testing.T, withVaultd bool) string {
	t.Helper()
	dir := t.TempDir()
	target := d.vaultd
	if withVaultd {
		copyFile(t, d.vaultd, filepath.Join(dir, "vaultd"))
		target = "vaultd"
	}
	if err := os.Symlink(target, filepath.Join(dir, "vault")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// setupWalkthrough gives the walkthrough what its cluster would: a real
// API server for TokenReview, a service-account token where the kubelet
// puts it, and an initialised, unsealed vaultd on bbolt with the root token
// in VAULT_TOKEN (the page's own "port-forward and log in" block is skipped).
//
// vaultd runs outside a pod here, so it has no token of its own to review
// with; Vault's rule then is that the pod's JWT reviews itself, so the
// pod's service account (default/default) gets system:auth-delegator, the
// role deploy/ gives vaultd's account.
func setupWalkthrough(t *testing.T, r *docRun, tools *docTools) {
	t.Helper()
	c := cluster.Get(t)
	ctx := t.Context()
	if _, err := c.CreateServiceAccount(ctx, "default", "default"); err != nil {
		t.Fatal(err)
	}
	if err := c.BindClusterRole(ctx, "default", "default", "system:auth-delegator"); err != nil {
		t.Fatal(err)
	}
	jwt, err := c.CreateToken(ctx, "default", "default", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(r.work, "sa-token")
	caFile := filepath.Join(r.work, "kube-ca.crt")
	if err := os.WriteFile(tokenFile, []byte(jwt), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, c.CACertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	r.cluster = c
	r.subst = append(r.subst,
		"/var/run/secrets/kubernetes.io/serviceaccount/token", tokenFile,
		"https://kubernetes.default.svc", c.Host,
	)
	// Go's TLS client (and so vaultd's TokenReview client, with no
	// kubernetes_ca_cert) trusts SSL_CERT_FILE: the API server's CA, as a
	// pod trusts its mounted ca.crt.
	r.setEnv("SSL_CERT_FILE", caFile)

	dataDir := filepath.Join(r.work, "vaultd-data")
	cfg := "storage \"bbolt\" {\n  path = \"" + dataDir + "\"\n}\nlistener \"tcp\" {\n  address = \"" + r.addr + "\"\n  tls_disable = true\n}\ndisable_mlock = true\n"
	cfgFile := filepath.Join(r.work, "vaultd.hcl")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := r.serverStep(step{kind: "server", line: 0, text: "vaultd server -config=" + cfgFile + "\n"}); err != nil {
		t.Fatal(err)
	}
	root := initAndUnseal(ctx, t, "http://"+r.addr, 5, 3)
	r.setEnv("VAULT_ADDR", "http://"+r.addr)
	r.setEnv("VAULT_TOKEN", root)
}

// initAndUnseal runs the ceremony through the client library: init with
// shares/threshold, unseal with the first threshold shares.
func initAndUnseal(ctx context.Context, t *testing.T, addr string, shares, threshold int) string {
	t.Helper()
	conf := api.DefaultConfig()
	conf.Address = addr
	client, err := api.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Sys().InitWithContext(ctx, &api.InitRequest{SecretShares: shares, SecretThreshold: threshold})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range resp.KeysB64[:threshold] {
		if _, err := client.Sys().UnsealWithContext(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	st, err := client.Sys().SealStatusWithContext(ctx)
	if err != nil || st.Sealed {
		t.Fatalf("still sealed after %d shares: %v", threshold, err)
	}
	return resp.RootToken
}
