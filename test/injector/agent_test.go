package injector

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vaultd/vaultd/injector"
	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/test/proc"
)

// The walkthrough's secret, before and after its rotation.
var (
	firstSecret   = map[string]any{"DB_PASSWORD": "supersecret-from-vault", "API_KEY": "vault-managed-api-key-xyz", "DB_HOST": "prod-db.example.com"}
	rotatedSecret = map[string]any{"DB_PASSWORD": "rotated-password-v2", "API_KEY": "rotated-api-key-v2", "DB_HOST": "prod-db.example.com"}
)

func exports(s map[string]any) string {
	return fmt.Sprintf("export DB_PASSWORD=%q\nexport API_KEY=%q\nexport DB_HOST=%q", s["DB_PASSWORD"], s["API_KEY"], s["DB_HOST"])
}

// startWalkthroughServer runs a real vaultd at addr configured as the
// walkthrough configures Vault: kubernetes auth against the cluster, the
// secret, the policy and the role. The walkthrough's server runs in the
// cluster and reviews tokens with its own service account; this one is
// given a reviewer token instead.
func startWalkthroughServer(t testing.TB, c *kube.Cluster, addr string) *api.Client {
	t.Helper()
	ctx := t.Context()
	srv := proc.Start(t, vaultd.Path(t), proc.Options{}, "server", "-dev", "-dev-root-token-id=root", "-dev-listen-address="+addr)
	proc.WaitHealthy(t, "http://"+addr, time.Minute)
	if srv.Exited() {
		t.Fatalf("vaultd exited:\n%s", srv.Out)
	}
	cfg := api.DefaultConfig()
	cfg.Address = "http://" + addr
	root, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	root.SetToken("root")
	reviewer, err := c.CreateReviewer(ctx, "vaultd", "vaultd")
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error {
			return root.Sys().EnableAuthWithOptions("kubernetes", &api.EnableAuthOptions{Type: "kubernetes"})
		},
		func() error {
			_, err := root.Logical().Write("auth/kubernetes/config", map[string]any{
				"kubernetes_host": c.Host, "kubernetes_ca_cert": string(c.CACertPEM),
				"token_reviewer_jwt": reviewer, "disable_local_ca_jwt": true,
			})
			return err
		},
		func() error { _, err := root.KVv2("secret").Put(ctx, "my-api", firstSecret); return err },
		func() error {
			return root.Sys().PutPolicy("my-api-policy", "path \"secret/data/my-api\" {\n  capabilities = [\"read\"]\n}\n")
		},
		func() error {
			_, err := root.Logical().Write("auth/kubernetes/role/my-api-role", map[string]any{
				"bound_service_account_names": "default", "bound_service_account_namespaces": "default",
				"policies": "my-api-policy", "ttl": "1h",
			})
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("walkthrough setup step %d: %v", i+1, err)
		}
	}
	return root
}

// podRoot stands in for the kubelet of one pod: each of the pod's volumes
// is a directory under a temporary root, the service-account token the
// kubelet would project is minted through the TokenRequest API and written
// into its volume, and each listening port of the pod's network is mapped
// to a free loopback port.
type podRoot struct {
	pod   *corev1.Pod
	dir   string
	ports map[int]string // pod port → 127.0.0.1:free
}

func newPodRoot(t testing.TB, c *kube.Cluster, pod *corev1.Pod) *podRoot {
	t.Helper()
	r := &podRoot{pod: pod, dir: t.TempDir(), ports: map[int]string{}}
	tok, err := c.CreateToken(t.Context(), pod.Namespace, pod.Spec.ServiceAccountName, nil, 3600)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range pod.Spec.Volumes {
		dir := r.volume(v.Name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.ServiceAccountToken != nil {
					if err := os.WriteFile(filepath.Join(dir, src.ServiceAccountToken.Path), []byte(tok), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	return r
}

func (r *podRoot) volume(name string) string { return filepath.Join(r.dir, "volumes", name) }

// hostPath maps a path inside container ct to the directory of the volume
// mounted there; ok is false for a path on no mount.
func (r *podRoot) hostPath(ct *corev1.Container, p string) (string, bool) {
	best := ""
	var host string
	for _, m := range ct.VolumeMounts {
		if (p == m.MountPath || strings.HasPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/")) && len(m.MountPath) > len(best) {
			best, host = m.MountPath, filepath.Join(r.volume(m.Name), strings.TrimPrefix(p, m.MountPath))
		}
	}
	return host, best != ""
}

func (r *podRoot) port(t testing.TB, p int) string {
	if a, ok := r.ports[p]; ok {
		return a
	}
	r.ports[p] = proc.FreeAddr(t)
	return r.ports[p]
}

// env is the container's environment as the kubelet gives it, with the
// agent's configuration moved onto the pod's root.
func (r *podRoot) env(t testing.TB, ct *corev1.Container) []string {
	t.Helper()
	var env []string
	for _, e := range ct.Env {
		v := e.Value
		if e.ValueFrom != nil {
			switch e.ValueFrom.FieldRef.FieldPath {
			case "metadata.namespace":
				v = r.pod.Namespace
			case "status.hostIP", "status.podIP":
				v = "127.0.0.1"
			default:
				t.Fatalf("container %s: env %s from %s, which this harness cannot fill", ct.Name, e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
		}
		if e.Name == "VAULT_CONFIG" {
			v = r.rerootConfig(t, ct, v)
		}
		env = append(env, e.Name+"="+v)
	}
	return env
}

// rerootConfig rewrites every absolute path of the agent's configuration
// that lies on one of the container's mounts to the volume's directory, and
// every listener to its mapped port. Nothing else changes.
func (r *podRoot) rerootConfig(t testing.TB, ct *corev1.Container, enc string) string {
	t.Helper()
	cfg, err := injector.DecodeAgentConfig(enc)
	if err != nil {
		t.Fatal(err)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				v[k] = walk(x)
			}
		case []any:
			for i, x := range v {
				v[i] = walk(x)
			}
		case string:
			if strings.HasPrefix(v, "/") {
				if host, ok := r.hostPath(ct, v); ok {
					return host
				}
				t.Fatalf("container %s: the config names %s, which is on no mount of the container", ct.Name, v)
			}
		}
		return v
	}
	walk(cfg)
	if ls, ok := cfg["listener"].([]any); ok {
		for _, l := range ls {
			l := l.(map[string]any)
			_, port, err := net.SplitHostPort(l["address"].(string))
			if err != nil {
				t.Fatal(err)
			}
			n, _ := strconv.Atoi(port)
			l["address"] = r.port(t, n)
		}
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// start runs a container's stored command, with the image's binary (the
// vaultd built for the tests) for its AgentCommand.
func (r *podRoot) start(t testing.TB, ct *corev1.Container) *proc.Proc {
	t.Helper()
	argv := append(append([]string{}, ct.Command...), ct.Args...)
	if len(argv) == 0 || argv[0] != injector.AgentCommand {
		t.Fatalf("container %s runs %v, not the image's vaultd", ct.Name, argv)
	}
	return proc.Start(t, vaultd.Path(t), proc.Options{Env: r.env(t, ct)}, argv[1:]...)
}

// appFile is a file as the app container sees it.
func (r *podRoot) appFile(t testing.TB, p string) string {
	t.Helper()
	host, ok := r.hostPath(find(r.pod.Spec.Containers, "app"), p)
	if !ok {
		t.Fatalf("the app container has no mount for %s", p)
	}
	return host
}

func readOr(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// testAgents is the part of the walkthrough after `kubectl apply`: the
// init container renders the file before the app would start, the sidecar
// follows the rotation. Both run as processes from what the API server
// stored.
func testAgents(t *testing.T, c *kube.Cluster, vaultAddr string) {
	root := startWalkthroughServer(t, c, vaultAddr)
	pod, err := createPod(t, c, "default", walkthroughPod(t, "vault-test-", nil))
	if err != nil {
		t.Fatal(err)
	}
	checkInjected(t, pod)
	r := newPodRoot(t, c, pod)
	file := r.appFile(t, "/vault/secrets/config")

	start := time.Now()
	initProc := r.start(t, find(pod.Spec.InitContainers, injector.InitContainerName))
	if err := initProc.Wait(t, 2*time.Minute); err != nil {
		t.Fatalf("init container failed: %v\n%s", err, initProc.Out)
	}
	t.Logf("init container: start to exit with the file rendered: %v", time.Since(start).Round(time.Millisecond))
	if got := readOr(file); got != exports(firstSecret) {
		t.Fatalf("/vault/secrets/config after the init container:\n%s\nwant:\n%s", got, exports(firstSecret))
	}

	sidecar := r.start(t, find(pod.Spec.Containers, injector.SidecarContainerName))
	if _, err := root.KVv2("secret").Put(t.Context(), "my-api", rotatedSecret); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the sidecar to render the rotated secret", sidecar, func() (bool, string) {
		got := readOr(file)
		return got == exports(rotatedSecret), got
	})
	again, err := c.Clientset.CoreV1().Pods("default").Get(t.Context(), pod.Name, metav1.GetOptions{})
	if err != nil || again.UID != pod.UID {
		t.Fatalf("the pod was recreated or lost: %v", err)
	}

	t.Run("json default template", func(t *testing.T) {
		pod, err := createPod(t, c, "default", walkthroughPod(t, "json-", map[string]string{
			injector.AnnotationTemplate + "-config": "-", injector.AnnotationDefaultTemplate: "json",
		}))
		if err != nil {
			t.Fatal(err)
		}
		r := newPodRoot(t, c, pod)
		p := r.start(t, find(pod.Spec.InitContainers, injector.InitContainerName))
		if err := p.Wait(t, 2*time.Minute); err != nil {
			t.Fatalf("init container failed: %v\n%s", err, p.Out)
		}
		var got struct {
			Data map[string]any `json:"data"`
		}
		raw := readOr(r.appFile(t, "/vault/secrets/config"))
		if err := json.Unmarshal([]byte(raw), &got); err != nil || got.Data["DB_PASSWORD"] != rotatedSecret["DB_PASSWORD"] {
			t.Fatalf("not the secret as JSON (%v):\n%s", err, raw)
		}
	})

	t.Run("no automounted token: the injector projects one", func(t *testing.T) {
		pod := walkthroughPod(t, "no-automount-", nil)
		pod.Spec.AutomountServiceAccountToken = new(bool)
		stored, err := createPod(t, c, "default", pod)
		if err != nil {
			t.Fatal(err)
		}
		projected := false
		for _, v := range stored.Spec.Volumes {
			projected = projected || (v.Name == "vault-agent-token" && v.Projected != nil)
		}
		if !projected {
			t.Fatalf("no projected token volume: %+v", stored.Spec.Volumes)
		}
		r := newPodRoot(t, c, stored)
		p := r.start(t, find(stored.Spec.InitContainers, injector.InitContainerName))
		if err := p.Wait(t, 2*time.Minute); err != nil {
			t.Fatalf("init container failed: %v\n%s", err, p.Out)
		}
		if got := readOr(r.appFile(t, "/vault/secrets/config")); got != exports(rotatedSecret) {
			t.Fatalf("rendered %q", got)
		}
	})

	t.Run("native sidecar ready only once rendered", func(t *testing.T) {
		pod, err := createPod(t, c, "default", walkthroughPod(t, "native-run-", map[string]string{injector.AnnotationNativeSidecar: "true"}))
		if err != nil {
			t.Fatal(err)
		}
		r := newPodRoot(t, c, pod)
		ct := &pod.Spec.InitContainers[0]
		file := r.appFile(t, "/vault/secrets/config")
		p := r.start(t, ct)
		probe := "http://" + r.port(t, ct.StartupProbe.HTTPGet.Port.IntValue()) + ct.StartupProbe.HTTPGet.Path
		client := &http.Client{Timeout: 2 * time.Second}
		waitFor(t, "the startup probe to pass", p, func() (bool, string) {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, probe, nil)
			resp, err := client.Do(req)
			if err != nil {
				return false, err.Error()
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return false, resp.Status
			}
			// The kubelet starts the app now: its file must be there.
			if got := readOr(file); got != exports(rotatedSecret) {
				t.Fatalf("the probe passed before the file was rendered: %q", got)
			}
			return true, ""
		})
		if p.Exited() {
			t.Fatalf("the native sidecar exited after rendering:\n%s", p.Out)
		}
	})

	t.Run("native sidecar with cache: the token stays on loopback", func(t *testing.T) {
		pod, err := createPod(t, c, "default", walkthroughPod(t, "native-cache-", map[string]string{
			injector.AnnotationNativeSidecar: "true", injector.AnnotationCacheEnable: "true",
		}))
		if err != nil {
			t.Fatal(err)
		}
		r := newPodRoot(t, c, pod)
		ct := &pod.Spec.InitContainers[0]
		p := r.start(t, ct)
		ready := "http://" + r.port(t, injector.ReadyPort)
		cache := "http://" + r.port(t, 8200)
		get := func(url string) (int, string) {
			resp, err := http.Get(url)
			if err != nil {
				return 0, err.Error()
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		waitFor(t, "the startup probe to pass", p, func() (bool, string) {
			code, body := get(ready + injector.ReadyPath)
			return code == http.StatusOK, body
		})
		// Through the loopback proxy, with no token of its own, the app
		// reads its secret: the agent adds its token.
		if code, body := get(cache + "/v1/secret/data/my-api"); code != http.StatusOK || !strings.Contains(body, "rotated-password-v2") {
			t.Fatalf("loopback proxy: %d %s", code, body)
		}
		// The readiness listener, open to the pod's network, proxies nothing.
		if code, body := get(ready + "/v1/secret/data/my-api"); code == http.StatusOK || strings.Contains(body, "rotated-password-v2") {
			t.Fatalf("the readiness listener hands out the secret: %d %s", code, body)
		}
	})
}
