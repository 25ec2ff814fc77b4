package migrate_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"

	"github.com/vaultd/vaultd/command/migrate"
	"github.com/vaultd/vaultd/injector"
	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/test/proc"
	"github.com/vaultd/vaultd/vaulttest"
)

var (
	cluster kube.Shared
	vaultd  proc.Binary
)

func TestMain(m *testing.M) { cluster.Main(m) }

// run runs the real binary to its end and returns stdout, stderr and the
// exit code.
func run(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	return proc.Run(t, vaultd.Path(t), env, args...)
}

func vaultEnv(addr, token string) []string {
	return []string{"VAULT_ADDR=" + addr, "VAULT_TOKEN=" + token}
}

func kubeClient(t *testing.T, c *kube.Cluster) kubernetes.Interface {
	t.Helper()
	kc, err := kubernetes.NewForConfig(c.Config(c.AdminToken))
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

func must(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func createSecret(t *testing.T, kc kubernetes.Interface, ns, name string, data map[string][]byte) {
	t.Helper()
	_, err := kc.CoreV1().Secrets(ns).Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"migrate": "yes"}},
		Data:       data,
	}, metav1.CreateOptions{})
	must(t, err, "create Secret "+ns+"/"+name)
}

func createDeployment(t *testing.T, kc kubernetes.Interface, ns, name, sa string, c corev1.Container, vols []corev1.Volume) {
	t.Helper()
	labels := map[string]string{"app": name}
	c.Image = "registry.example/app:1"
	c.Name = "app"
	_, err := kc.AppsV1().Deployments(ns).Create(context.Background(), &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{c}, Volumes: vols},
			},
		},
	}, metav1.CreateOptions{})
	must(t, err, "create Deployment "+ns+"/"+name)
}

func secretKeyRef(env, secret, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: env, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key}}}
}

// kvState is everything a migration leaves in vaultd that a test
// compares: every entry under secret/ with its data, version and custom
// metadata, and the policies and roles.
func kvState(t *testing.T, c *api.Client, policies, roles []string) map[string]any {
	t.Helper()
	state := map[string]any{}
	var walk func(prefix string)
	walk = func(prefix string) {
		l, err := c.Logical().List("secret/metadata/" + prefix)
		must(t, err, "list "+prefix)
		if l == nil {
			return
		}
		for _, k := range l.Data["keys"].([]any) {
			key := prefix + k.(string)
			if strings.HasSuffix(key, "/") {
				walk(key)
				continue
			}
			meta, err := c.Logical().Read("secret/metadata/" + key)
			must(t, err, "metadata "+key)
			data, err := c.Logical().Read("secret/data/" + key)
			must(t, err, "data "+key)
			state["kv:"+key] = map[string]any{"data": data.Data["data"], "version": meta.Data["current_version"],
				"custom": meta.Data["custom_metadata"]}
		}
	}
	walk("")
	for _, p := range policies {
		body, err := c.Sys().GetPolicy(p)
		must(t, err, "policy "+p)
		state["policy:"+p] = body
	}
	for _, r := range roles {
		s, err := c.Logical().Read("auth/kubernetes/role/" + r)
		must(t, err, "role "+r)
		if s != nil {
			state["role:"+r] = s.Data
		}
	}
	b, _ := json.Marshal(state)
	var norm map[string]any
	_ = json.Unmarshal(b, &norm)
	return norm
}

// renderWithInjector runs the real injector (package injector, issue 13)
// on a pod made from the patched pod template, takes the agent
// configuration it gives the init container (VAULT_CONFIG), points its
// files into a temporary root and its token path at the pod's
// service-account token, and runs the real `vaultd agent` with it - the
// init container's run, outside a pod. It returns the rendered files by
// their path under /vault/secrets.
func renderWithInjector(t *testing.T, addr, jwt, ns string, tmpl corev1.PodTemplateSpec) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "fs")
	pod := &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}
	pod.Name, pod.Namespace = "pod-1", ns
	patch, err := injector.Mutate(pod, injector.Defaults{VaultAddress: addr, VaultImage: "vaultd/vaultd:test", ExitOnRetryFailure: true})
	must(t, err, "injector")
	if patch == nil {
		t.Fatalf("the injector left the pod alone; annotations %v", pod.Annotations)
	}
	jp, err := jsonpatch.DecodePatch(patch)
	must(t, err, "decode patch")
	doc, err := json.Marshal(pod)
	must(t, err, "pod json")
	doc, err = jp.Apply(doc)
	must(t, err, "apply the injector's patch")
	var mutated corev1.Pod
	must(t, json.Unmarshal(doc, &mutated), "mutated pod")
	var enc string
	for _, c := range mutated.Spec.InitContainers {
		if c.Name != injector.InitContainerName {
			continue
		}
		for _, e := range c.Env {
			if e.Name == "VAULT_CONFIG" {
				enc = e.Value
			}
		}
	}
	cfg, err := injector.DecodeAgentConfig(enc)
	must(t, err, "VAULT_CONFIG of "+injector.InitContainerName)

	jwtFile := filepath.Join(dir, "jwt")
	must(t, os.WriteFile(jwtFile, []byte(jwt), 0o600), "jwt")
	aa := cfg["auto_auth"].(map[string]any)
	method := aa["method"].(map[string]any)
	method["config"].(map[string]any)["token_path"] = jwtFile
	for _, sk := range aa["sink"].([]any) {
		c := sk.(map[string]any)["config"].(map[string]any)
		c["path"] = filepath.Join(root, c["path"].(string))
		must(t, os.MkdirAll(filepath.Dir(c["path"].(string)), 0o700), "sink directory (a volume in the pod)")
	}
	if _, ok := cfg["pid_file"]; ok {
		cfg["pid_file"] = filepath.Join(dir, "pid")
	}
	for _, tp := range cfg["template"].([]any) {
		m := tp.(map[string]any)
		m["destination"] = filepath.Join(root, m["destination"].(string))
	}
	b, err := json.Marshal(cfg)
	must(t, err, "agent config")
	cfgFile := filepath.Join(dir, "agent.json")
	must(t, os.WriteFile(cfgFile, b, 0o600), "agent config")
	p := proc.Start(t, vaultd.Path(t), proc.Options{}, "agent", "-config="+cfgFile)
	if err := p.Wait(t, 60*time.Second); err != nil || p.ExitCode() != 0 {
		t.Fatalf("vaultd agent: %v (exit %d)\n%s\n%s", err, p.ExitCode(), p.Out.String(), b)
	}
	out := map[string][]byte{}
	base := filepath.Join(root, migrate.DefaultSecretsDir)
	must(t, filepath.Walk(base, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, path)
		out[rel] = data
		return nil
	}), "walk rendered files")
	return out
}

// sourceEnv runs a POSIX shell that sources an env file and prints each
// named variable, so the export lines are checked as a shell reads them.
func sourceEnv(t *testing.T, file []byte, names []string) map[string]string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "env")
	must(t, os.WriteFile(f, file, 0o600), "env file")
	script := ". " + f
	for _, n := range names {
		script += "; printf '%s\\000' \"$" + n + "\""
	}
	out, err := exec.Command("sh", "-c", script).Output()
	must(t, err, "sh")
	vals := strings.Split(string(out), "\x00")
	got := map[string]string{}
	for i, n := range names {
		got[n] = vals[i]
	}
	return got
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ = vaulttest.Options{}

func metavOpts() metav1.ListOptions { return metav1.ListOptions{} }
