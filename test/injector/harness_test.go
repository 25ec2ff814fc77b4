package injector

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/vaultd/vaultd/injector"
	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/test/proc"
)

var (
	cluster kube.Shared
	vaultd  proc.Binary
)

func TestMain(m *testing.M) { cluster.Main(m) }

// webhookName is the MutatingWebhookConfiguration of deploy/kubernetes.
const webhookName = "vaultd-injector"

// running is one injector process registered with the cluster.
type running struct {
	c    *kube.Cluster
	proc *proc.Proc
	url  string // https://127.0.0.1:port
	ca   *x509.CertPool
}

// startInjector runs `vaultd injector` registered with the cluster,
// pointing the agents it injects at vaultAddr, and waits until the API
// server actually calls it.
func startInjector(t testing.TB, c *kube.Cluster, vaultAddr string) *running {
	t.Helper()
	addr := proc.FreeAddr(t)
	url := "https://" + addr
	registerWebhook(t, c, url+"/mutate")
	p := runInjector(t, c, addr, vaultAddr)
	r := &running{c: c, proc: p, url: url}
	// The injector writes its CA into the configuration: read it from there.
	r.ca = waitCABundle(t, c, p)
	waitReady(t, r)
	waitEffective(t, r)
	return r
}

// runInjector starts one injector replica listening on addr. It talks to
// the API server as the service account of deploy/kubernetes/injector,
// with that folder's RBAC and nothing more, and shares its certificate
// with other replicas through the manifests' Secret.
func runInjector(t testing.TB, c *kube.Cluster, addr, vaultAddr string) *proc.Proc {
	t.Helper()
	kubeconfig := injectorKubeconfig(t, c)
	return proc.Start(t, vaultd.Path(t), proc.Options{Env: []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "KUBECONFIG=" + kubeconfig,
		"AGENT_INJECT_VAULT_IMAGE=vaultd/vaultd:test", "NAMESPACE=vaultd",
		"AGENT_INJECT_TLS_AUTO_SECRET=vaultd-injector-tls",
	}}, "injector", "-listen="+addr, "-tls-auto="+webhookName, "-tls-auto-hosts=127.0.0.1,localhost",
		"-vault-address="+vaultAddr, "-log-level=debug",
		// The walkthrough's pods re-read their secret every second rather
		// than every five minutes, so that the rotation test is quick.
		"-template-static-secret-render-interval=1s")
}

// injectorKubeconfig applies the injector's service account and RBAC from
// deploy/kubernetes/injector and writes a kubeconfig with a token of that
// account.
func injectorKubeconfig(t testing.TB, c *kube.Cluster) string {
	t.Helper()
	ctx := t.Context()
	root, err := kube.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureNamespace(ctx, "vaultd", nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "deploy", "kubernetes", "injector")
	for _, f := range []string{"10-serviceaccount.yaml", "20-rbac.yaml"} {
		if out, err := c.Kubectl(ctx, "apply", "-f", filepath.Join(dir, f)); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	tok, err := c.CreateToken(ctx, "vaultd", "vaultd-injector", nil, 3600)
	if err != nil {
		t.Fatal(err)
	}
	ca := base64.StdEncoding.EncodeToString(c.CACertPEM)
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: %q, certificate-authority-data: %q}
users:
- name: injector
  user: {token: %q}
contexts:
- name: test
  context: {cluster: test, user: injector}
current-context: test
`, c.Host, ca, tok)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// registerWebhook creates the webhook configuration of deploy/kubernetes,
// with the injector's loopback URL in place of the in-cluster Service
// (the test cluster has no Service networking).
func registerWebhook(t testing.TB, c *kube.Cluster, url string) {
	t.Helper()
	root, err := kube.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var cfg *admissionregistrationv1.MutatingWebhookConfiguration
	for _, obj := range decodeFile(t, filepath.Join(root, "deploy", "kubernetes", "injector", "50-mutatingwebhook.yaml")) {
		if m, ok := obj.(*admissionregistrationv1.MutatingWebhookConfiguration); ok {
			cfg = m
		}
	}
	if cfg == nil || cfg.Name != webhookName || len(cfg.Webhooks) != 1 {
		t.Fatalf("deploy/kubernetes/injector has no MutatingWebhookConfiguration %s", webhookName)
	}
	if len(cfg.Webhooks[0].ClientConfig.CABundle) != 0 {
		t.Fatal("the manifest already carries a caBundle; the test must see the injector write it")
	}
	cfg.Webhooks[0].ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url}
	api := c.Clientset.AdmissionregistrationV1().MutatingWebhookConfigurations()
	if err := api.Delete(t.Context(), webhookName, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	if _, err := api.Create(t.Context(), cfg, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create webhook configuration: %v", err)
	}
}

func decodeFile(t testing.TB, path string) []runtime.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []runtime.Object
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if onlyComments(doc) {
			continue
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, obj)
	}
}

func onlyComments(doc []byte) bool {
	for line := range strings.SplitSeq(string(doc), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// waitFor polls cond until it holds, the injector exits, or the test's
// deadline nears. It is a wait for readiness, not a timing assertion.
func waitFor(t testing.TB, what string, p *proc.Proc, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	if dt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := dt.Deadline(); ok && d.Add(-10*time.Second).Before(deadline) {
			deadline = d.Add(-10 * time.Second)
		}
	}
	last := ""
	for time.Now().Before(deadline) {
		ok, why := cond()
		if ok {
			return
		}
		last = why
		if p != nil && p.Exited() {
			t.Fatalf("%s: the process exited:\n%s", what, p.Out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	out := ""
	if p != nil {
		out = p.Out.String()
	}
	t.Fatalf("gave up waiting for %s (%s)\n%s", what, last, out)
}

func waitCABundle(t testing.TB, c *kube.Cluster, p *proc.Proc) *x509.CertPool {
	t.Helper()
	var pool *x509.CertPool
	waitFor(t, "the injector to write the caBundle", p, func() (bool, string) {
		cfg, err := c.Clientset.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(t.Context(), webhookName, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		ca := cfg.Webhooks[0].ClientConfig.CABundle
		if len(ca) == 0 {
			return false, "caBundle empty"
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			t.Fatalf("caBundle is not PEM: %q", ca)
		}
		return true, ""
	})
	return pool
}

func (r *running) client() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: r.ca, MinVersion: tls.VersionTLS12}}}
}

// waitReady: /health/ready answers, over TLS verified by the caBundle CA.
func waitReady(t testing.TB, r *running) {
	t.Helper()
	waitFor(t, "/health/ready", r.proc, func() (bool, string) {
		resp, err := r.client().Get(r.url + "/health/ready")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNoContent, resp.Status
	})
}

// waitEffective waits until the API server calls the webhook: it builds
// its webhook list from a watch, so a new configuration takes a moment to
// apply, and with failurePolicy Ignore a pod created before then is
// stored unchanged. A server-side dry run shows when injection happens.
func waitEffective(t testing.TB, r *running) {
	t.Helper()
	ensureAccount(t, r.c, "default")
	waitFor(t, "the API server to call the webhook", r.proc, func() (bool, string) {
		pod := walkthroughPod(t, "probe-", nil)
		got, err := r.c.Clientset.CoreV1().Pods("default").Create(t.Context(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			return false, err.Error()
		}
		return got.Annotations[injector.AnnotationStatus] == "injected", "not injected yet"
	})
}

func ensureAccount(t testing.TB, c *kube.Cluster, namespace string) {
	t.Helper()
	if _, err := c.CreateServiceAccount(t.Context(), namespace, "default"); err != nil {
		t.Fatal(err)
	}
}

// walkthroughPod is the pod template of the article's Deployment (kept
// verbatim in testdata/vault-test.yaml) as a Pod, with extra annotations
// ("-" removes one).
func walkthroughPod(t testing.TB, generateName string, extra map[string]string) *corev1.Pod {
	t.Helper()
	var dep *appsv1.Deployment
	for _, obj := range decodeFile(t, filepath.Join("testdata", "vault-test.yaml")) {
		if d, ok := obj.(*appsv1.Deployment); ok {
			dep = d
		}
	}
	if dep == nil {
		t.Fatal("testdata/vault-test.yaml has no Deployment")
	}
	tmpl := dep.Spec.Template.DeepCopy()
	pod := &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}
	pod.GenerateName = generateName
	for k, v := range extra {
		if v == "-" {
			delete(pod.Annotations, k)
		} else {
			pod.Annotations[k] = v
		}
	}
	return pod
}

// createPod creates a pod and reads it back through the API.
func createPod(t testing.TB, c *kube.Cluster, namespace string, pod *corev1.Pod) (*corev1.Pod, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	created, err := c.Clientset.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		_ = c.Clientset.CoreV1().Pods(namespace).Delete(context.Background(), created.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
	})
	got, err := c.Clientset.CoreV1().Pods(namespace).Get(ctx, created.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("read back pod %s: %w", created.Name, err)
	}
	return got, nil
}

func containerNames(cs []corev1.Container) string {
	var n []string
	for _, c := range cs {
		n = append(n, c.Name)
	}
	return strings.Join(n, ",")
}
