package injector

import (
	"encoding/json"
	"strings"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// walkthroughTemplate is the article's agent-inject-template-config.
const walkthroughTemplate = `{{- with secret "secret/data/my-api" -}}
export DB_PASSWORD="{{ .Data.data.DB_PASSWORD }}"
export API_KEY="{{ .Data.data.API_KEY }}"
export DB_HOST="{{ .Data.data.DB_HOST }}"
{{- end }}
`

var testDefaults = Defaults{VaultAddress: "http://vaultd.vaultd.svc:8200", VaultImage: "vaultd/vaultd:test", ExitOnRetryFailure: true}

// walkthroughPod is the article's pod template as the API server hands it
// to a webhook: the ServiceAccount admission plugin has mounted the token.
func walkthroughPod(extra map[string]string) *corev1.Pod {
	ann := map[string]string{
		AnnotationInject:               "true",
		AnnotationRole:                 "my-api-role",
		AnnotationSecret + "-config":   "secret/data/my-api",
		AnnotationTemplate + "-config": walkthroughTemplate,
	}
	for k, v := range extra {
		if v == "-" {
			delete(ann, k)
		} else {
			ann[k] = v
		}
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "vault-test", Namespace: "default", Labels: map[string]string{"app": "vault-test"}, Annotations: ann},
		Spec: corev1.PodSpec{
			ServiceAccountName: "default",
			Containers: []corev1.Container{{
				Name: "app", Image: "alpine:3.18", Command: []string{"sh", "-c", "while true; do sleep 30; done"},
				VolumeMounts: []corev1.VolumeMount{{Name: "kube-api-access-x7k2p", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}},
			}},
			Volumes: []corev1.Volume{{Name: "kube-api-access-x7k2p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{}}}},
		},
	}
}

// apply runs Mutate and applies its patch with the JSON Patch library the
// API server uses.
func apply(t *testing.T, pod *corev1.Pod, d Defaults) (*corev1.Pod, bool) {
	t.Helper()
	patch, err := Mutate(pod, d)
	if err != nil {
		t.Fatalf("Mutate: %v", err)
	}
	if patch == nil {
		return pod, false
	}
	return applyPatch(t, pod, patch), true
}

func applyPatch(t *testing.T, pod *corev1.Pod, patch []byte) *corev1.Pod {
	t.Helper()
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		t.Fatalf("decode patch: %v\n%s", err, patch)
	}
	doc, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Apply(doc)
	if err != nil {
		t.Fatalf("apply patch: %v\n%s", err, patch)
	}
	var got corev1.Pod
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	return &got
}

func findContainer(cs []corev1.Container, name string) *corev1.Container {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}

func envValue(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func agentConfigOf(t *testing.T, c *corev1.Container) map[string]any {
	t.Helper()
	m, err := DecodeAgentConfig(envValue(c, "VAULT_CONFIG"))
	if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	return m
}

// dig walks a decoded JSON document: keys for objects, ints for arrays.
func dig(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func TestMutateWalkthroughPod(t *testing.T) {
	got, changed := apply(t, walkthroughPod(nil), testDefaults)
	if !changed {
		t.Fatal("the walkthrough pod was not injected")
	}
	if got.Annotations[AnnotationStatus] != "injected" {
		t.Errorf("status annotation = %q", got.Annotations[AnnotationStatus])
	}
	if len(got.Spec.InitContainers) != 1 || got.Spec.InitContainers[0].Name != InitContainerName {
		t.Fatalf("init containers: %+v", got.Spec.InitContainers)
	}
	if len(got.Spec.Containers) != 2 || got.Spec.Containers[1].Name != SidecarContainerName {
		t.Fatalf("containers: %+v", got.Spec.Containers)
	}
	var secrets *corev1.Volume
	for i, v := range got.Spec.Volumes {
		if v.Name == secretVolumeName {
			secrets = &got.Spec.Volumes[i]
		}
	}
	if secrets == nil || secrets.EmptyDir == nil || secrets.EmptyDir.Medium != corev1.StorageMediumMemory {
		t.Fatalf("no in-memory emptyDir %s: %+v", secretVolumeName, got.Spec.Volumes)
	}
	app := got.Spec.Containers[0]
	if m := app.VolumeMounts[len(app.VolumeMounts)-1]; m.Name != secretVolumeName || m.MountPath != "/vault/secrets" {
		t.Errorf("app mounts %+v", app.VolumeMounts)
	}
	for _, c := range []*corev1.Container{&got.Spec.InitContainers[0], &got.Spec.Containers[1]} {
		sc := c.SecurityContext
		if sc == nil || !*sc.RunAsNonRoot || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation ||
			len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || *sc.RunAsUser != 100 || *sc.RunAsGroup != 1000 {
			t.Errorf("%s security context %+v", c.Name, sc)
		}
		if c.Resources.Requests.Cpu().String() != "250m" || c.Resources.Requests.Memory().String() != "64Mi" ||
			c.Resources.Limits.Cpu().String() != "500m" || c.Resources.Limits.Memory().String() != "128Mi" {
			t.Errorf("%s resources %+v", c.Name, c.Resources)
		}
		if c.Image != "vaultd/vaultd:test" || strings.Join(append(c.Command, c.Args...), " ") != AgentCommand+" agent" {
			t.Errorf("%s runs %s %v %v", c.Name, c.Image, c.Command, c.Args)
		}
		mounts := map[string]string{}
		for _, m := range c.VolumeMounts {
			mounts[m.MountPath] = m.Name
		}
		if mounts["/var/run/secrets/kubernetes.io/serviceaccount"] != "kube-api-access-x7k2p" || mounts["/vault/secrets"] != secretVolumeName || mounts[homeDir] == "" {
			t.Errorf("%s mounts %v", c.Name, mounts)
		}
		cfg := agentConfigOf(t, c)
		init := c.Name == InitContainerName
		checks := map[string][2]any{
			"exit_after_auth": {dig(cfg, "exit_after_auth"), init},
			"method type":     {dig(cfg, "auto_auth", "method", "type"), "kubernetes"},
			"mount path":      {dig(cfg, "auto_auth", "method", "mount_path"), "auth/kubernetes"},
			"role":            {dig(cfg, "auto_auth", "method", "config", "role"), "my-api-role"},
			"token path":      {dig(cfg, "auto_auth", "method", "config", "token_path"), "/var/run/secrets/kubernetes.io/serviceaccount/token"},
			"sink":            {dig(cfg, "auto_auth", "sink", 0, "config", "path"), "/home/vault/.vault-token"},
			"address":         {dig(cfg, "vault", "address"), "http://vaultd.vaultd.svc:8200"},
			"destination":     {dig(cfg, "template", 0, "destination"), "/vault/secrets/config"},
			"contents":        {dig(cfg, "template", 0, "contents"), walkthroughTemplate},
			"exit on retry":   {dig(cfg, "template_config", "exit_on_retry_failure"), true},
			"pid file":        {dig(cfg, "pid_file"), "/home/vault/.pid"},
		}
		for name, c2 := range checks {
			if c2[0] != c2[1] {
				t.Errorf("%s config %s = %v, want %v", c.Name, name, c2[0], c2[1])
			}
		}
		if dig(cfg, "listener") != nil {
			t.Errorf("%s: a listener without cache or native mode: %v", c.Name, dig(cfg, "listener"))
		}
	}
}

func TestMutateLeavesAlone(t *testing.T) {
	for name, extra := range map[string]map[string]string{
		"no annotation":    {AnnotationInject: "-"},
		"inject false":     {AnnotationInject: "false"},
		"already injected": {AnnotationStatus: "injected"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, changed := apply(t, walkthroughPod(extra), testDefaults); changed {
				t.Fatal("the pod was mutated")
			}
		})
	}
}

func TestMutateOptions(t *testing.T) {
	tests := []struct {
		name  string
		extra map[string]string
		d     Defaults
		check func(t *testing.T, p *corev1.Pod)
	}{
		{"pre-populate-only: no sidecar", map[string]string{AnnotationPrePopulateOnly: "true"}, testDefaults, func(t *testing.T, p *corev1.Pod) {
			if len(p.Spec.Containers) != 1 || findContainer(p.Spec.InitContainers, InitContainerName) == nil {
				t.Errorf("containers %d init %d", len(p.Spec.Containers), len(p.Spec.InitContainers))
			}
		}},
		{"pre-populate false: no init container", map[string]string{AnnotationPrePopulate: "false"}, testDefaults, func(t *testing.T, p *corev1.Pod) {
			if len(p.Spec.Containers) != 2 || findContainer(p.Spec.InitContainers, InitContainerName) != nil {
				t.Errorf("containers %d init %d", len(p.Spec.Containers), len(p.Spec.InitContainers))
			}
		}},
		{"default template json", map[string]string{AnnotationTemplate + "-config": "-", AnnotationDefaultTemplate: "json"}, testDefaults, func(t *testing.T, p *corev1.Pod) {
			got := dig(agentConfigOf(t, findContainer(p.Spec.InitContainers, InitContainerName)), "template", 0, "contents")
			if got != "{{ with secret \"secret/data/my-api\" }}{{ .Data | toJSON }}\n{{ end }}" {
				t.Errorf("json default template %q", got)
			}
		}},
		{"secret without template: map", map[string]string{AnnotationTemplate + "-config": "-"}, testDefaults, func(t *testing.T, p *corev1.Pod) {
			got := dig(agentConfigOf(t, findContainer(p.Spec.InitContainers, InitContainerName)), "template", 0, "contents")
			if got != "{{ with secret \"secret/data/my-api\" }}{{ range $k, $v := .Data }}{{ $k }}: {{ $v }}\n{{ end }}{{ end }}" {
				t.Errorf("map default template %q", got)
			}
		}},
		{"injector-wide json default", map[string]string{AnnotationTemplate + "-config": "-"}, Defaults{VaultAddress: "http://v:8200", DefaultTemplate: "json"}, func(t *testing.T, p *corev1.Pod) {
			if got, _ := dig(agentConfigOf(t, findContainer(p.Spec.InitContainers, InitContainerName)), "template", 0, "contents").(string); !strings.Contains(got, "toJSON") {
				t.Errorf("template %q", got)
			}
		}},
		{"file, perms, command, volume path", map[string]string{
			AnnotationFile + "-config": "app/env.sh", AnnotationPerms + "-config": "0440", AnnotationCommand + "-config": "kill -HUP 1",
			AnnotationSecretVolumePath: "/etc/secrets", AnnotationErrorOnMissingKey + "-config": "true",
		}, testDefaults, func(t *testing.T, p *corev1.Pod) {
			cfg := agentConfigOf(t, &p.Spec.Containers[1])
			if dig(cfg, "template", 0, "destination") != "/etc/secrets/app/env.sh" || dig(cfg, "template", 0, "perms") != "0440" ||
				dig(cfg, "template", 0, "command") != "kill -HUP 1" || dig(cfg, "template", 0, "error_on_missing_key") != true {
				t.Errorf("template %v", dig(cfg, "template"))
			}
			if m := p.Spec.Containers[0].VolumeMounts; m[len(m)-1].MountPath != "/etc/secrets" {
				t.Errorf("app mounts %+v", m)
			}
		}},
		{"secret names lower-cased unless preserved", map[string]string{AnnotationSecret + "-DB": "secret/data/db", AnnotationSecret + "-Keep": "secret/data/k", AnnotationPreserveSecretCase + "-Keep": "true"}, testDefaults, func(t *testing.T, p *corev1.Pod) {
			cfg := agentConfigOf(t, findContainer(p.Spec.InitContainers, InitContainerName))
			var dests []string
			for i := range 3 {
				dests = append(dests, dig(cfg, "template", i, "destination").(string))
			}
			if strings.Join(dests, ",") != "/vault/secrets/db,/vault/secrets/Keep,/vault/secrets/config" {
				t.Errorf("destinations %v", dests)
			}
		}},
		{"containers named", map[string]string{AnnotationContainers: "other"}, testDefaults, func(t *testing.T, p *corev1.Pod) {
			for _, m := range p.Spec.Containers[0].VolumeMounts {
				if m.Name == secretVolumeName {
					t.Error("the app container got the secrets though not named")
				}
			}
		}},
		{"init last by default", nil, testDefaults, func(t *testing.T, p *corev1.Pod) {
			if p.Spec.InitContainers[0].Name != "migrate" || p.Spec.InitContainers[1].Name != InitContainerName {
				t.Errorf("init order %s, %s", p.Spec.InitContainers[0].Name, p.Spec.InitContainers[1].Name)
			}
			if m := p.Spec.InitContainers[0].VolumeMounts; len(m) != 1 || m[0].Name != secretVolumeName {
				t.Errorf("the app's init container mounts %+v", m)
			}
		}},
		{"init first", map[string]string{AnnotationInitFirst: "true"}, testDefaults, func(t *testing.T, p *corev1.Pod) {
			if p.Spec.InitContainers[0].Name != InitContainerName || p.Spec.InitContainers[1].Name != "migrate" {
				t.Errorf("init order %s, %s", p.Spec.InitContainers[0].Name, p.Spec.InitContainers[1].Name)
			}
		}},
		{"resources, user, image, tls, auth path", map[string]string{
			AnnotationLimitsCPU: "1", AnnotationLimitsMem: "256Mi", AnnotationRequestsCPU: "100m", AnnotationRequestsMem: "32Mi",
			AnnotationRunAsUser: "4242", AnnotationRunAsGroup: "4343", AnnotationImage: "registry.example.com/vaultd:1",
			AnnotationCACert: "/vault/tls/ca.crt", AnnotationTLSSkipVerify: "true", AnnotationTLSServerName: "vaultd.internal",
			AnnotationAuthPath: "auth/k8s-prod", AnnotationService: "https://vaultd.example.com:8200",
			AnnotationStaticRenderInterval: "30s",
		}, testDefaults, func(t *testing.T, p *corev1.Pod) {
			c := p.Spec.Containers[1]
			if c.Resources.Limits.Cpu().String() != "1" || c.Resources.Requests.Memory().String() != "32Mi" || *c.SecurityContext.RunAsUser != 4242 ||
				*c.SecurityContext.RunAsGroup != 4343 || c.Image != "registry.example.com/vaultd:1" {
				t.Errorf("container %+v", c)
			}
			cfg := agentConfigOf(t, &c)
			if dig(cfg, "vault", "ca_cert") != "/vault/tls/ca.crt" || dig(cfg, "vault", "tls_skip_verify") != true || dig(cfg, "vault", "tls_server_name") != "vaultd.internal" ||
				dig(cfg, "auto_auth", "method", "mount_path") != "auth/k8s-prod" || dig(cfg, "vault", "address") != "https://vaultd.example.com:8200" ||
				dig(cfg, "template_config", "static_secret_render_interval") != "30s" {
				t.Errorf("config %v", cfg)
			}
		}},
		{"cache: sidecar only", map[string]string{AnnotationCacheEnable: "true"}, testDefaults, func(t *testing.T, p *corev1.Pod) {
			if dig(agentConfigOf(t, findContainer(p.Spec.InitContainers, InitContainerName)), "cache") != nil {
				t.Error("the init container has a cache")
			}
			cfg := agentConfigOf(t, &p.Spec.Containers[1])
			if dig(cfg, "cache", "use_auto_auth_token") != "true" || dig(cfg, "listener", 0, "address") != "127.0.0.1:8200" {
				t.Errorf("sidecar cache %v listener %v", dig(cfg, "cache"), dig(cfg, "listener"))
			}
		}},
		{"config map", map[string]string{AnnotationConfigMap: "my-agent-config"}, testDefaults, func(t *testing.T, p *corev1.Pod) {
			init := *findContainer(p.Spec.InitContainers, InitContainerName)
			if envValue(&init, "VAULT_CONFIG") != "" || strings.Join(init.Args, " ") != "agent -config=/vault/configs/config-init.hcl" {
				t.Errorf("init %v env %v", init.Args, init.Env)
			}
			if strings.Join(p.Spec.Containers[1].Args, " ") != "agent -config=/vault/configs/config.hcl" {
				t.Errorf("sidecar args %v", p.Spec.Containers[1].Args)
			}
		}},
		{"native sidecar", map[string]string{AnnotationNativeSidecar: "true"}, testDefaults, func(t *testing.T, p *corev1.Pod) {
			checkNative(t, p)
		}},
		{"native sidecar by default", nil, Defaults{VaultAddress: "http://v:8200", NativeSidecar: true}, func(t *testing.T, p *corev1.Pod) {
			checkNative(t, p)
		}},
		{"no token mounted: the injector projects one", map[string]string{"no-token": "true"}, testDefaults, func(t *testing.T, p *corev1.Pod) {
			cfg := agentConfigOf(t, findContainer(p.Spec.InitContainers, InitContainerName))
			if dig(cfg, "auto_auth", "method", "config", "token_path") != tokenMountPath+"/token" {
				t.Errorf("token path %v", dig(cfg, "auto_auth", "method", "config", "token_path"))
			}
			var found bool
			for _, v := range p.Spec.Volumes {
				found = found || (v.Name == tokenVolumeName && v.Projected != nil && v.Projected.Sources[0].ServiceAccountToken != nil)
			}
			if !found {
				t.Error("no projected token volume")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pod := walkthroughPod(tc.extra)
			pod.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: "busybox"}}
			if tc.extra["no-token"] != "" {
				pod.Spec.Containers[0].VolumeMounts, pod.Spec.Volumes = nil, nil
			}
			got, changed := apply(t, pod, tc.d)
			if !changed {
				t.Fatal("not injected")
			}
			tc.check(t, got)
		})
	}
}

func checkNative(t *testing.T, p *corev1.Pod) {
	t.Helper()
	if len(p.Spec.Containers) != 1 {
		t.Errorf("a plain sidecar next to the native one: %d containers", len(p.Spec.Containers))
	}
	c := p.Spec.InitContainers[0]
	if c.Name != SidecarContainerName || c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
		t.Fatalf("first init container %s restartPolicy %v", c.Name, c.RestartPolicy)
	}
	if findContainer(p.Spec.InitContainers, InitContainerName) != nil {
		t.Error("a separate init container next to the native sidecar")
	}
	sp := c.StartupProbe
	if sp == nil || sp.HTTPGet == nil || sp.HTTPGet.Path != ReadyPath || sp.HTTPGet.Port.IntValue() != ReadyPort {
		t.Fatalf("startup probe %+v", sp)
	}
	cfg := agentConfigOf(t, &c)
	if dig(cfg, "exit_after_auth") != false || dig(cfg, "listener", 0, "address") != "0.0.0.0:8210" || dig(cfg, "listener", 0, "tls_disable") != true {
		t.Errorf("native config %v", cfg)
	}
}

// TestMutateUpdateReinjects: status "update" injects again, replacing
// what the first injection added rather than adding it twice.
func TestMutateUpdateReinjects(t *testing.T) {
	first, _ := apply(t, walkthroughPod(nil), testDefaults)
	first.Annotations[AnnotationStatus] = "update"
	first.Annotations[AnnotationRole] = "other-role"
	second, changed := apply(t, first, testDefaults)
	if !changed {
		t.Fatal("update did not re-inject")
	}
	if len(second.Spec.Containers) != 2 || len(second.Spec.InitContainers) != 1 || len(second.Spec.Volumes) != len(first.Spec.Volumes) {
		t.Fatalf("re-injection duplicated: %d containers, %d init, %d volumes (was %d)",
			len(second.Spec.Containers), len(second.Spec.InitContainers), len(second.Spec.Volumes), len(first.Spec.Volumes))
	}
	if n := len(second.Spec.Containers[0].VolumeMounts); n != 2 {
		t.Errorf("app has %d mounts, want 2", n)
	}
	if dig(agentConfigOf(t, &second.Spec.Containers[1]), "auto_auth", "method", "config", "role") != "other-role" {
		t.Error("the new role was not used")
	}
	if second.Annotations[AnnotationStatus] != "injected" {
		t.Errorf("status %q", second.Annotations[AnnotationStatus])
	}
}

func TestMutateRefusesBadValues(t *testing.T) {
	tests := []struct {
		name  string
		extra map[string]string
		want  string
	}{
		{"cpu limit", map[string]string{AnnotationLimitsCPU: "banana"}, `"banana" for annotation vault.hashicorp.com/agent-limits-cpu`},
		{"mem request", map[string]string{AnnotationRequestsMem: "lots"}, "agent-requests-mem"},
		{"request above limit", map[string]string{AnnotationRequestsCPU: "2"}, "exceeds its limit"},
		{"perms", map[string]string{AnnotationPerms + "-config": "999"}, `"999" for annotation vault.hashicorp.com/agent-inject-perms-config`},
		{"perms too wide", map[string]string{AnnotationPerms + "-config": "77777"}, "agent-inject-perms-config"},
		{"user", map[string]string{AnnotationRunAsUser: "nobody"}, "agent-run-as-user"},
		{"root", map[string]string{AnnotationRunAsUser: "0"}, "does not run as root"},
		{"group", map[string]string{AnnotationRunAsGroup: "-5"}, "agent-run-as-group"},
		{"inject", map[string]string{AnnotationInject: "yes please"}, "agent-inject"},
		{"pre-populate-only", map[string]string{AnnotationPrePopulateOnly: "maybe"}, "agent-pre-populate-only"},
		{"default template", map[string]string{AnnotationDefaultTemplate: "yaml"}, "want map or json"},
		{"render interval", map[string]string{AnnotationStaticRenderInterval: "often"}, "template-static-secret-render-interval"},
		{"file escapes the volume", map[string]string{AnnotationFile + "-config": "../../etc/passwd"}, "must stay inside /vault/secrets"},
		{"relative volume path", map[string]string{AnnotationSecretVolumePath: "secrets"}, "secret-volume-path"},
		{"no role", map[string]string{AnnotationRole: "-"}, "a role is required"},
		{"native", map[string]string{AnnotationNativeSidecar: "sometimes"}, "agent-native-sidecar"},
		{"two secrets, one file", map[string]string{AnnotationSecret + "-Config": "secret/data/other"}, "both render to /vault/secrets/config"},
		{"tls skip verify", map[string]string{AnnotationTLSSkipVerify: "perhaps"}, "tls-skip-verify"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			patch, err := Mutate(walkthroughPod(tc.extra), testDefaults)
			if err == nil {
				t.Fatalf("accepted; patch %s", patch)
			}
			if patch != nil {
				t.Errorf("a patch came with the refusal: %s", patch)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestMutateRefusesMountConflict(t *testing.T) {
	pod := walkthroughPod(nil)
	pod.Spec.Containers[0].VolumeMounts = append(pod.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "mine", MountPath: "/vault/secrets/"})
	if _, err := Mutate(pod, testDefaults); err == nil || !strings.Contains(err.Error(), "already mounts") {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkMutate is the injector's own work for the walkthrough pod:
// parse the annotations, build the containers and their configs, encode
// the patch.
func BenchmarkMutate(b *testing.B) {
	pod := walkthroughPod(nil)
	for b.Loop() {
		if _, err := Mutate(pod, testDefaults); err != nil {
			b.Fatal(err)
		}
	}
}
