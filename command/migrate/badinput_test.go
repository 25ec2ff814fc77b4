package migrate_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vaultd/vaultd/test/proc"
	"github.com/vaultd/vaultd/vaulttest"
)

// haltingProxy forwards to target and, on the n-th KV data write, lets
// the write reach the server but never answers it: the client is left
// not knowing whether it happened, as when killed at the worst moment.
func haltingProxy(t *testing.T, target string, n int32) (*httptest.Server, <-chan struct{}) {
	t.Helper()
	u, err := url.Parse(target)
	must(t, err, "url")
	rp := httputil.NewSingleHostReverseProxy(u)
	var writes atomic.Int32
	halted := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		isWrite := (r.Method == http.MethodPut || r.Method == http.MethodPost) && strings.HasPrefix(r.URL.Path, "/v1/secret/data/")
		if !isWrite || writes.Add(1) != n {
			rp.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r) // the server has written it
		close(halted)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv, halted
}

// TestMigrateInterruptedRunResumed: a run killed (SIGKILL) while a KV
// write it sent is unanswered, then run again, leaves vaultd exactly as
// one uninterrupted run does: the same entries, each at version 1, the
// same custom metadata, policies and roles.
func TestMigrateInterruptedRunResumed(t *testing.T) {
	c := cluster.Get(t)
	kc := kubeClient(t, c)
	f := newFixture(t, c, kc, "resume")
	args := []string{"migrate", "k8s-secrets", "-kubeconfig=" + c.KubeconfigPath, "-namespace=" + f.namespaces(), "-apply"}

	reference := vaulttest.Start(t, vaulttest.Options{})
	setupVault(t, c, reference, "resume-ref")
	if stdout, stderr, code := run(t, vaultEnv(reference.Addr, reference.RootToken), args...); code != 0 {
		t.Fatalf("reference run: exit %d\n%s%s", code, stdout, stderr)
	}
	want := kvState(t, reference.Client, f.policies(), f.policies())

	s := vaulttest.Start(t, vaulttest.Options{})
	setupVault(t, c, s, "resume-run")
	proxy, halted := haltingProxy(t, s.Addr, 3)
	p := proc.Start(t, vaultd.Path(t), proc.Options{Env: append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()},
		vaultEnv(proxy.URL, s.RootToken)...)}, args...)
	select {
	case <-halted:
	case <-p.Done():
		t.Fatalf("the run ended before the third write:\n%s", p.Out)
	}
	p.Kill(t)
	mid := kvState(t, s.Client, nil, nil)
	if len(mid) != 3 {
		t.Fatalf("killed mid-way, vaultd holds %d entries, want the 3 reached:\n%v", len(mid), mid)
	}
	if pol, _ := s.Client.Sys().GetPolicy(f.policies()[0]); pol != "" {
		t.Fatalf("a policy was written before the secrets were done")
	}

	stdout, stderr, code := run(t, vaultEnv(s.Addr, s.RootToken), args...)
	if code != 0 || !strings.Contains(stdout, "Success! 7 written, 3 unchanged") {
		t.Fatalf("resumed run: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := kvState(t, s.Client, f.policies(), f.policies()); !reflect.DeepEqual(got, want) {
		t.Fatalf("resumed run left\n%v\nwant (one uninterrupted run)\n%v", got, want)
	}
}

// TestMigrateBadInput: a kubeconfig that does not work, and a Secret with
// a key that collides with another once the binary marker is added, end
// the run with a clear error and exit code, with nothing written to
// vaultd.
func TestMigrateBadInput(t *testing.T) {
	c := cluster.Get(t)
	kc := kubeClient(t, c)
	s := vaulttest.Start(t, vaulttest.Options{})
	env := vaultEnv(s.Addr, s.RootToken)
	dir := t.TempDir()
	must(t, c.EnsureNamespace(context.Background(), "collide", nil), "namespace")
	createSecret(t, kc, "collide", "fine", map[string][]byte{"a": []byte("1")})
	createSecret(t, kc, "collide", "bundle", map[string][]byte{"ca": binaryValue, "ca.base64": []byte("text")})

	good, err := os.ReadFile(c.KubeconfigPath)
	must(t, err, "kubeconfig")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, []byte(body), 0o600), name)
		return p
	}
	deadAddr := "https://" + proc.FreeAddr(t)
	cases := []struct {
		name       string
		kubeconfig string
		extra      []string
		code       int
		want       []string
	}{
		{"not YAML", write("garbage", "{{{ this is not a kubeconfig"), nil, 1,
			[]string{"loading the Kubernetes client configuration"}},
		{"missing file", filepath.Join(dir, "nope"), nil, 1,
			[]string{"loading the Kubernetes client configuration", "nope"}},
		{"no current context", write("empty", "apiVersion: v1\nkind: Config\n"), nil, 1,
			[]string{"loading the Kubernetes client configuration"}},
		{"server not listening", write("dead", strings.Replace(string(good), c.Host, deadAddr, 1)), nil, 2,
			[]string{"Error planning the migration", "connection refused"}},
		{"token refused", write("badtoken", strings.Replace(string(good), c.AdminToken, "wrong-token", 1)), nil, 2,
			[]string{"Error planning the migration", "Unauthorized"}},
		{"key collision", c.KubeconfigPath, nil, 2,
			[]string{"collide/bundle", `key "ca" and key "ca.base64" would both be stored as "ca.base64"`, "nothing was done"}},
		{"bad path template", c.KubeconfigPath, []string{"-path=secret/{name}"}, 2,
			[]string{"want <mount>/data/<path>"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"migrate", "k8s-secrets", "-kubeconfig=" + tc.kubeconfig, "-namespace=collide", "-apply", "-delete-secrets"}, tc.extra...)
			stdout, stderr, code := run(t, env, args...)
			flat := strings.Join(strings.Fields(stderr), " ")
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(flat, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if l, _ := s.Client.Logical().List("secret/metadata/"); l != nil {
				t.Fatalf("written despite the error: %v", l.Data)
			}
			if sec, err := kc.CoreV1().Secrets("collide").List(context.Background(), metavOpts()); err != nil || len(sec.Items) != 2 {
				t.Fatalf("Secrets after the failed run: %v %v", sec, err)
			}
		})
	}
}
