package injector

import (
	"bytes"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/vaultd/vaultd/injector"
	"github.com/vaultd/vaultd/test/proc"
)

func find(cs []corev1.Container, name string) *corev1.Container {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}

func envOf(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// TestInjector runs one injector against the real API server and creates
// pods through the API: what the API server stores is what the webhook
// made of them.
func TestInjector(t *testing.T) {
	c := cluster.Get(t)
	vaultAddr := proc.FreeAddr(t)
	r := startInjector(t, c, "http://"+vaultAddr)
	pods := c.Clientset.CoreV1()

	t.Run("walkthrough pod is stored injected", func(t *testing.T) {
		got, err := createPod(t, c, "default", walkthroughPod(t, "vault-test-", nil))
		if err != nil {
			t.Fatal(err)
		}
		checkInjected(t, got)
	})

	t.Run("status update injects afresh", func(t *testing.T) {
		first, err := createPod(t, c, "default", walkthroughPod(t, "update-", nil))
		if err != nil {
			t.Fatal(err)
		}
		// A copy of an injected pod, asking for injection again with
		// another role: the old agent containers give way to new ones.
		again := &corev1.Pod{Spec: *first.Spec.DeepCopy()}
		again.GenerateName, again.Labels, again.Annotations = "update-", first.Labels, first.Annotations
		again.Annotations[injector.AnnotationStatus] = "update"
		again.Annotations[injector.AnnotationRole] = "other-role"
		again.Spec.NodeName = ""
		got, err := createPod(t, c, "default", again)
		if err != nil {
			t.Fatal(err)
		}
		checkInjected(t, got)
		cfg, err := injector.DecodeAgentConfig(envOf(find(got.Spec.Containers, injector.SidecarContainerName), "VAULT_CONFIG"))
		if err != nil {
			t.Fatal(err)
		}
		if role := cfg["auto_auth"].(map[string]any)["method"].(map[string]any)["config"].(map[string]any)["role"]; role != "other-role" {
			t.Errorf("re-injected with role %v", role)
		}
	})

	t.Run("native sidecar", func(t *testing.T) {
		got, err := createPod(t, c, "default", walkthroughPod(t, "native-", map[string]string{injector.AnnotationNativeSidecar: "true"}))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Spec.InitContainers) != 1 {
			t.Fatalf("init containers %s, want the agent alone", containerNames(got.Spec.InitContainers))
		}
		ic := got.Spec.InitContainers[0]
		if ic.RestartPolicy == nil || *ic.RestartPolicy != corev1.ContainerRestartPolicyAlways {
			t.Errorf("init container %s restartPolicy %v, want Always", ic.Name, ic.RestartPolicy)
		}
		if sp := ic.StartupProbe; sp == nil || sp.HTTPGet == nil || sp.HTTPGet.Path != injector.ReadyPath || sp.HTTPGet.Port.IntValue() != injector.ReadyPort {
			t.Errorf("startup probe %+v", ic.StartupProbe)
		}
		if find(got.Spec.Containers, injector.SidecarContainerName) != nil || len(got.Spec.Containers) != 1 {
			t.Errorf("containers %s: a plain sidecar too", containerNames(got.Spec.Containers))
		}
	})

	t.Run("pre-populate-only has no sidecar", func(t *testing.T) {
		got, err := createPod(t, c, "default", walkthroughPod(t, "prepop-", map[string]string{injector.AnnotationPrePopulateOnly: "true"}))
		if err != nil {
			t.Fatal(err)
		}
		if containerNames(got.Spec.Containers) != "app" || containerNames(got.Spec.InitContainers) != injector.InitContainerName {
			t.Errorf("containers %s init %s", containerNames(got.Spec.Containers), containerNames(got.Spec.InitContainers))
		}
	})

	t.Run("json default template", func(t *testing.T) {
		got, err := createPod(t, c, "default", walkthroughPod(t, "json-", map[string]string{
			injector.AnnotationTemplate + "-config": "-", injector.AnnotationDefaultTemplate: "json",
		}))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := injector.DecodeAgentConfig(envOf(find(got.Spec.InitContainers, injector.InitContainerName), "VAULT_CONFIG"))
		if err != nil {
			t.Fatal(err)
		}
		tmpl := cfg["template"].([]any)[0].(map[string]any)["contents"]
		if tmpl != "{{ with secret \"secret/data/my-api\" }}{{ .Data | toJSON }}\n{{ end }}" {
			t.Errorf("template %q", tmpl)
		}
	})

	t.Run("left unchanged", func(t *testing.T) {
		ensureAccount(t, c, "vaultd")
		injected := walkthroughPod(t, "already-", map[string]string{injector.AnnotationStatus: "injected"})
		cases := map[string]struct {
			ns  string
			pod *corev1.Pod
		}{
			"no annotation":      {"default", walkthroughPod(t, "plain-", map[string]string{injector.AnnotationInject: "-"})},
			"excluded namespace": {"vaultd", walkthroughPod(t, "excluded-", nil)},
			"already injected":   {"default", injected},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				got, err := createPod(t, c, tc.ns, tc.pod)
				if err != nil {
					t.Fatal(err)
				}
				if containerNames(got.Spec.Containers) != "app" || len(got.Spec.InitContainers) != 0 {
					t.Errorf("containers %s init %s", containerNames(got.Spec.Containers), containerNames(got.Spec.InitContainers))
				}
				for _, v := range got.Spec.Volumes {
					if v.Name == "vault-secrets" {
						t.Error("a vault-secrets volume was added")
					}
				}
				if want := tc.pod.Annotations[injector.AnnotationStatus]; got.Annotations[injector.AnnotationStatus] != want {
					t.Errorf("status %q, want %q", got.Annotations[injector.AnnotationStatus], want)
				}
			})
		}
	})

	t.Run("bad annotations are refused", func(t *testing.T) {
		for name, extra := range map[string]map[string]string{
			"cpu limit banana": {injector.AnnotationLimitsCPU: "banana"},
			"perms 999":        {injector.AnnotationPerms + "-config": "999"},
		} {
			t.Run(name, func(t *testing.T) {
				pod := walkthroughPod(t, "", extra)
				pod.Name = "refused-" + strings.ReplaceAll(name, " ", "-")
				_, err := pods.Pods("default").Create(t.Context(), pod, metav1.CreateOptions{})
				if err == nil {
					t.Fatal("the API server stored the pod")
				}
				var key string
				for k := range extra {
					key = k
				}
				if !strings.Contains(err.Error(), "denied the request") || !strings.Contains(err.Error(), key) {
					t.Errorf("refusal does not name %s: %v", key, err)
				}
				if !apierrors.IsBadRequest(err) {
					t.Errorf("refusal is not a 400: %v", err)
				}
				if _, err := pods.Pods("default").Get(t.Context(), pod.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
					t.Errorf("the refused pod exists: %v", err)
				}
			})
		}
	})

	t.Run("malformed AdmissionReview", func(t *testing.T) {
		for _, body := range []string{"{not json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`} {
			resp, err := r.client().Post(r.url+"/mutate", "application/json", bytes.NewBufferString(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%q: %d, want 400", body, resp.StatusCode)
			}
		}
		// The injector keeps serving the API server.
		got, err := createPod(t, c, "default", walkthroughPod(t, "after-bad-", nil))
		if err != nil {
			t.Fatal(err)
		}
		checkInjected(t, got)
	})

	t.Run("stored agent containers run against vaultd", func(t *testing.T) {
		testAgents(t, c, vaultAddr)
	})

	t.Run("a second replica serves the same CA", func(t *testing.T) {
		addr := proc.FreeAddr(t)
		p := runInjector(t, c, addr, "http://"+vaultAddr)
		second := &running{c: c, proc: p, url: "https://" + addr, ca: r.ca}
		// Verified against the caBundle the first replica wrote.
		waitReady(t, second)
		cfg, err := c.Clientset.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(t.Context(), webhookName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(cfg.Webhooks[0].ClientConfig.CABundle)
		if !pool.Equal(r.ca) {
			t.Error("the second replica replaced the caBundle")
		}
	})

	t.Run("caBundle restored after a reset", func(t *testing.T) {
		api := c.Clientset.AdmissionregistrationV1().MutatingWebhookConfigurations()
		_, err := api.Patch(t.Context(), webhookName, types.JSONPatchType,
			[]byte(`[{"op":"remove","path":"/webhooks/0/clientConfig/caBundle"}]`), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		waitCABundle(t, c, r.proc)
	})
}

// checkInjected: the stored pod has the init container, the sidecar, the
// volume and its mounts, and the status annotation.
func checkInjected(t *testing.T, got *corev1.Pod) {
	t.Helper()
	if got.Annotations[injector.AnnotationStatus] != "injected" {
		t.Errorf("status annotation %q", got.Annotations[injector.AnnotationStatus])
	}
	if containerNames(got.Spec.InitContainers) != injector.InitContainerName {
		t.Errorf("init containers %s", containerNames(got.Spec.InitContainers))
	}
	if containerNames(got.Spec.Containers) != "app,"+injector.SidecarContainerName {
		t.Errorf("containers %s", containerNames(got.Spec.Containers))
	}
	var vol *corev1.Volume
	for i, v := range got.Spec.Volumes {
		if v.Name == "vault-secrets" {
			vol = &got.Spec.Volumes[i]
		}
	}
	if vol == nil || vol.EmptyDir == nil || vol.EmptyDir.Medium != corev1.StorageMediumMemory {
		t.Errorf("volumes %+v", got.Spec.Volumes)
	}
	for _, cs := range [][]corev1.Container{got.Spec.Containers, got.Spec.InitContainers} {
		for _, ct := range cs {
			var at string
			for _, m := range ct.VolumeMounts {
				if m.Name == "vault-secrets" {
					at = m.MountPath
				}
			}
			if at != "/vault/secrets" {
				t.Errorf("container %s mounts vault-secrets at %q", ct.Name, at)
			}
		}
	}
}
