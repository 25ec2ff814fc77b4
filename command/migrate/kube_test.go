package migrate_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/vaulttest"
)

// binaryValue is not UTF-8: it must come back byte for byte.
var binaryValue = []byte{0x00, 0xff, 0xfe, 0x80, 0x01, '\n', 0xc3}

// fixture is three namespaces whose Secrets are consumed in all three
// ways: env secretKeyRef (shop), envFrom plus a whole-Secret volume
// (payments), a volume with items plus secretKeyRef (batch).
type fixture struct {
	shop, payments, batch string
	secrets               map[string]map[string][]byte // "ns/name" → data
}

func newFixture(t *testing.T, c *kube.Cluster, kc kubernetes.Interface, prefix string) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{shop: prefix + "-shop", payments: prefix + "-payments", batch: prefix + "-batch", secrets: map[string]map[string][]byte{}}
	for _, ns := range []string{f.shop, f.payments, f.batch} {
		must(t, c.EnsureNamespace(ctx, ns, nil), "namespace "+ns)
	}
	add := func(ns, name string, data map[string][]byte) {
		createSecret(t, kc, ns, name, data)
		f.secrets[ns+"/"+name] = data
	}
	add(f.shop, "db", map[string][]byte{"username": []byte("shop"), "password": []byte("p'w\"$x `id` \\ end")})
	add(f.shop, "unused", map[string][]byte{"x": []byte("1")})
	add(f.payments, "api", map[string][]byte{
		"API_KEY": []byte("k-123"), "tls.crt": []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
		"keystore.p12": binaryValue,
	})
	add(f.batch, "creds", map[string][]byte{"token": []byte("t0k"), "config.json": []byte(`{"a": 1}`)})

	for _, sa := range [][2]string{{f.shop, "web"}, {f.payments, "default"}, {f.batch, "worker"}} {
		_, err := c.CreateServiceAccount(ctx, sa[0], sa[1])
		must(t, err, "service account")
	}
	createDeployment(t, kc, f.shop, "web", "web", corev1.Container{Env: []corev1.EnvVar{
		secretKeyRef("DB_USER", "db", "username"), secretKeyRef("DB_PASS", "db", "password"),
	}}, nil)
	createDeployment(t, kc, f.payments, "processor", "", corev1.Container{
		EnvFrom:      []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "api"}}}},
		VolumeMounts: []corev1.VolumeMount{{Name: "api-files", MountPath: "/etc/api"}},
	}, []corev1.Volume{{Name: "api-files", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "api"}}}})
	createDeployment(t, kc, f.batch, "worker", "worker", corev1.Container{
		Env:          []corev1.EnvVar{secretKeyRef("TOKEN", "creds", "token")},
		VolumeMounts: []corev1.VolumeMount{{Name: "conf", MountPath: "/etc/conf"}},
	}, []corev1.Volume{{Name: "conf", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
		SecretName: "creds", Items: []corev1.KeyToPath{{Key: "config.json", Path: "conf/app.json"}}}}}})
	return f
}

func (f *fixture) namespaces() string { return f.shop + "," + f.payments + "," + f.batch }

func (f *fixture) policies() []string {
	return []string{f.shop + "-deployment-web", f.payments + "-deployment-processor", f.batch + "-deployment-worker"}
}

// setupVault enables and configures the Kubernetes auth method against
// the cluster, so the emitted roles can be logged in with.
func setupVault(t *testing.T, c *kube.Cluster, s *vaulttest.Server, prefix string) {
	t.Helper()
	ctx := context.Background()
	ns := prefix + "-vaultd"
	must(t, c.EnsureNamespace(ctx, ns, nil), "namespace")
	reviewer, err := c.CreateReviewer(ctx, ns, "vaultd")
	must(t, err, "reviewer")
	must(t, s.Client.Sys().EnableAuthWithOptions("kubernetes", &api.EnableAuthOptions{Type: "kubernetes"}), "auth enable")
	_, err = s.Client.Logical().Write("auth/kubernetes/config", map[string]any{
		"kubernetes_host": c.Host, "kubernetes_ca_cert": string(c.CACertPEM),
		"token_reviewer_jwt": reviewer, "disable_local_ca_jwt": true,
	})
	must(t, err, "auth config")
}

// TestMigrateK8sSecretsEndToEnd: three namespaces, a dry run that writes
// nothing, -apply, the KV entries equal to the Secrets (binary and
// non-identifier keys too), the policies and roles accepted by vaultd,
// every patch accepted by `kubectl apply --dry-run=server`, each patched
// pod template (read back from the API server) turned by the real injector
// into an agent configuration that the real agent, logged in with the
// emitted role as the workload's service account, renders to the
// Secret's key/value pairs; and a second run that changes nothing.
func TestMigrateK8sSecretsEndToEnd(t *testing.T) {
	c := cluster.Get(t)
	kc := kubeClient(t, c)
	s := vaulttest.Start(t, vaulttest.Options{})
	f := newFixture(t, c, kc, "e2e")
	setupVault(t, c, s, "e2e")
	env := vaultEnv(s.Addr, s.RootToken)
	out := t.TempDir()
	base := []string{"migrate", "k8s-secrets", "-kubeconfig=" + c.KubeconfigPath, "-namespace=" + f.namespaces()}

	// The dry run prints the plan and writes nothing.
	stdout, stderr, code := run(t, env, base...)
	if code != 0 {
		t.Fatalf("dry run: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		f.shop + "/db", "password,username", "secret/data/" + f.shop + "/db", "Deployment/web", f.shop + "-deployment-web",
		f.payments + "/api", "API_KEY,keystore.p12,tls.crt", "Deployment/processor",
		f.batch + "/creds", "Deployment/worker", f.shop + "/unused",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(strings.Join(strings.Fields(stderr), " "), `key "tls.crt" of Secret api is not a shell variable name`) {
		t.Errorf("no warning for the envFrom key a shell cannot export:\n%s", stderr)
	}
	if l, _ := s.Client.Logical().List("secret/metadata/"); l != nil {
		t.Fatalf("the dry run wrote %v", l.Data)
	}

	stdout, stderr, code = run(t, env, append(base, "-apply", "-out="+out)...)
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "[1/") || !strings.Contains(stdout, "Success! 10 written, 0 unchanged") {
		t.Errorf("apply output:\n%s\n%s", stdout, stderr)
	}

	// Every Secret is in KV, decoded, binary values base64 under the marker.
	for id, data := range f.secrets {
		sec, err := s.Client.KVv2("secret").Get(context.Background(), id)
		must(t, err, "kv get "+id)
		want := map[string]any{}
		for k, v := range data {
			if k == "keystore.p12" {
				want[k+".base64"] = base64.StdEncoding.EncodeToString(v)
				continue
			}
			want[k] = string(v)
		}
		if !reflect.DeepEqual(sec.Data, want) {
			t.Errorf("%s: KV holds %q, want %q", id, sec.Data, want)
		}
		ns, name, _ := strings.Cut(id, "/")
		cm := sec.CustomMetadata
		if cm["source-namespace"] != ns || cm["source-name"] != name || cm["migrated-from"] != "kubernetes-secret" || cm["source-uid"] == "" {
			t.Errorf("%s: custom_metadata %v", id, cm)
		}
	}
	// The policies are vaultd's own now, with read on exactly the paths used.
	pol, err := s.Client.Sys().GetPolicy(f.payments + "-deployment-processor")
	must(t, err, "policy")
	if strings.Count(pol, "path ") != 1 || !strings.Contains(pol, `"secret/data/`+f.payments+`/api"`) || !strings.Contains(pol, `["read"]`) {
		t.Errorf("policy:\n%s", pol)
	}
	state := kvState(t, s.Client, f.policies(), f.policies())

	// Patches: the API server accepts each; applied, the real agent renders
	// the pod template's annotations to what the Secret held.
	ctx := context.Background()
	for _, w := range []struct{ ns, name, sa string }{{f.shop, "web", "web"}, {f.payments, "processor", "default"}, {f.batch, "worker", "worker"}} {
		patch := filepath.Join(out, w.ns, "deployment-"+w.name+".patch.yaml")
		if o, err := c.Kubectl(ctx, "apply", "--dry-run=server", "--validate=strict", "-f", patch); err != nil {
			t.Fatalf("kubectl apply --dry-run=server %s: %v\n%s", patch, err, o)
		}
		for _, ext := range []string{".policy.hcl", ".role.json"} {
			if _, err := os.Stat(filepath.Join(out, w.ns, "deployment-"+w.name+ext)); err != nil {
				t.Errorf("artifact: %v", err)
			}
		}
		if o, err := c.Kubectl(ctx, "patch", "deployment", w.name, "-n", w.ns, "--type=strategic", "--patch-file="+patch); err != nil {
			t.Fatalf("kubectl patch: %v\n%s", err, o)
		}
		d, err := kc.AppsV1().Deployments(w.ns).Get(ctx, w.name, metav1.GetOptions{})
		must(t, err, "get deployment")
		jwt, err := c.CreateToken(ctx, w.ns, w.sa, nil, 600)
		must(t, err, "pod token")
		files := renderWithInjector(t, s.Addr, jwt, w.ns, d.Spec.Template)
		checkRendered(t, f, w.ns, files)
	}

	// A second run changes nothing.
	stdout, stderr, code = run(t, env, append(base, "-apply", "-out="+out)...)
	if code != 0 || !strings.Contains(stdout, "Success! 0 written, 10 unchanged") {
		t.Fatalf("second run: exit %d\n%s%s", code, stdout, stderr)
	}
	if again := kvState(t, s.Client, f.policies(), f.policies()); !reflect.DeepEqual(state, again) {
		t.Fatalf("the second run changed vaultd:\n%v\n%v", state, again)
	}
}

func checkRendered(t *testing.T, f *fixture, ns string, files map[string][]byte) {
	t.Helper()
	expectFile := func(name string, want []byte) {
		t.Helper()
		if got, ok := files[name]; !ok || string(got) != string(want) {
			t.Errorf("%s: rendered %s = %q (present %v), want %q; files %v", ns, name, got, ok, want, sortedKeys(files))
		}
	}
	expectEnv := func(want map[string]string) {
		t.Helper()
		got := sourceEnv(t, files["app.env"], sortedKeys(want))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: env file gives %q, want %q\n%s", ns, got, want, files["app.env"])
		}
	}
	switch ns {
	case f.shop:
		d := f.secrets[ns+"/db"]
		expectEnv(map[string]string{"DB_USER": string(d["username"]), "DB_PASS": string(d["password"])})
		if len(files) != 1 {
			t.Errorf("%s: files %v", ns, sortedKeys(files))
		}
	case f.payments:
		d := f.secrets[ns+"/api"]
		expectEnv(map[string]string{"API_KEY": string(d["API_KEY"])})
		for k, v := range d {
			expectFile("api-files/"+k, v)
		}
	case f.batch:
		d := f.secrets[ns+"/creds"]
		expectEnv(map[string]string{"TOKEN": string(d["token"])})
		expectFile("conf/conf/app.json", d["config.json"])
	}
}

var _ = time.Second
