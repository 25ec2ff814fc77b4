package deploy

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// helmBuild is the Helm binary, built (or found in the cache) once per
// test binary.
var helmBuild struct {
	once sync.Once
	path string
	err  error
}

// helmBin builds Helm once (minutes, the first time on a machine) and
// returns its path.
func helmBin(t *testing.T) string {
	t.Helper()
	helmBuild.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		helmBuild.path, helmBuild.err = EnsureHelm(ctx, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	})
	if helmBuild.err != nil {
		t.Fatalf("build helm: %v", helmBuild.err)
	}
	return helmBuild.path
}

func chartDir(t *testing.T) string {
	return filepath.Join(repoRoot(t), "deploy", "helm", "vaultd")
}

// runHelm runs helm with a private home, so no user's repositories or
// plugins play a part.
func runHelm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runHelmWith(t, "", args...)
}

// runHelmWith runs helm against the cluster of a kubeconfig file ("" for
// none).
func runHelmWith(t *testing.T, kubeconfig string, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	if kubeconfig == "" {
		kubeconfig = filepath.Join(home, "no-kubeconfig")
	}
	cmd := exec.CommandContext(t.Context(), helmBin(t), args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"KUBECONFIG="+kubeconfig)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// fullValues turns on every option a user is likely to set.
const fullValues = `
image:
  repository: registry.example.com/platform/vaultd
  tag: "9.9.9"
  pullPolicy: Always
imagePullSecrets:
  - name: regcred
serviceAccount:
  annotations:
    example.com/owner: platform
server:
  annotations:
    example.com/team: platform
  podAnnotations:
    example.com/scrape: "true"
  podLabels:
    tier: secrets
  resources:
    requests: {cpu: 250m, memory: 128Mi}
    limits: {cpu: "2", memory: 512Mi}
  updateStrategy: RollingUpdate
  logLevel: debug
  extraConfig: |
    default_lease_ttl = "1h"
    listener "tcp" {
      address     = "127.0.0.1:8201"
      tls_disable = true
    }
  extraEnv:
    - name: GODEBUG
      value: madvdontneed=1
  nodeSelector:
    example.com/pool: secrets
  tolerations:
    - key: dedicated
      operator: Equal
      value: secrets
      effect: NoSchedule
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions:
              - {key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}
  priorityClassName: system-cluster-critical
storage:
  size: 5Gi
  storageClass: fast-ssd
  annotations:
    example.com/backup: daily
service:
  type: LoadBalancer
  port: 8200
  nodePort: 30820
  annotations:
    example.com/lb: internal
  loadBalancerSourceRanges: [10.0.0.0/8]
tls:
  enabled: true
  secretName: vaultd-tls
pdb:
  enabled: false
`

// TestHelmLint: `helm lint --strict` passes with the defaults and with
// every option set, and says nothing worse than INFO.
func TestHelmLint(t *testing.T) {
	values := writeTemp(t, "full.yaml", []byte(fullValues))
	for _, args := range [][]string{{}, {"-f", values}, {"--set", "server.mlock=true"}} {
		out, err := runHelm(t, append([]string{"lint", "--strict", chartDir(t)}, args...)...)
		if err != nil || !strings.Contains(out, "1 chart(s) linted, 0 chart(s) failed") {
			t.Fatalf("helm lint %v: %v\n%s", args, err, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "[") && !strings.HasPrefix(line, "[INFO] Chart.yaml: icon is recommended") {
				t.Errorf("helm lint %v: %s", args, line)
			}
		}
	}
}

// helmTemplate renders the chart as the release "vaultd" in namespace
// "vaultd".
func helmTemplate(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runHelm(t, append([]string{"template", "vaultd", chartDir(t), "--namespace", "vaultd"}, args...)...)
	if err != nil {
		t.Fatalf("helm template %v: %v\n%s", args, err, out)
	}
	return out
}

// TestHelmDefaults: the default rendering obeys every deployment rule.
func TestHelmDefaults(t *testing.T) {
	img := dockerImageOf(t)
	o, err := decodeObjects([]byte(helmTemplate(t)))
	if err != nil {
		t.Fatal(err)
	}
	conf := checkObjects(t, o, img, expect{
		namespace: "vaultd", image: "vaultd/vaultd:" + chartAppVersion(t),
		withBinding: true, withPDB: true,
	})
	if len(conf.Audit) != 1 || conf.LogFormat != "json" {
		t.Errorf("defaults: audit %+v, log_format %q", conf.Audit, conf.LogFormat)
	}
	sts := o.statefulSets[0]
	if sts.Spec.UpdateStrategy.Type != "OnDelete" {
		t.Errorf("updateStrategy = %q, want OnDelete", sts.Spec.UpdateStrategy.Type)
	}
	if sts.Spec.VolumeClaimTemplates[0].Spec.StorageClassName != nil {
		t.Errorf("storageClassName set without storage.storageClass")
	}
}

func chartAppVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartDir(t), "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "appVersion:"); ok {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	t.Fatal("Chart.yaml has no appVersion")
	return ""
}

// TestHelmFullValues: every value reaches the object it is meant for.
func TestHelmFullValues(t *testing.T) {
	img := dockerImageOf(t)
	out := helmTemplate(t, "-f", writeTemp(t, "full.yaml", []byte(fullValues)))
	o, err := decodeObjects([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	conf := checkObjects(t, o, img, expect{
		namespace: "vaultd", image: "registry.example.com/platform/vaultd:9.9.9", tls: true,
		withBinding: true, withPDB: false,
	})
	if conf.DefaultLeaseTTL != time.Hour || len(conf.Listeners) != 2 || conf.LogLevel != "debug" {
		t.Errorf("extraConfig/logLevel not applied: ttl %s, %d listeners, level %s", conf.DefaultLeaseTTL, len(conf.Listeners), conf.LogLevel)
	}
	sts := o.statefulSets[0]
	pod := sts.Spec.Template
	c := pod.Spec.Containers[0]
	checks := map[string]bool{
		"statefulset annotation":    sts.Annotations["example.com/team"] == "platform",
		"pod annotation":            pod.Annotations["example.com/scrape"] == "true",
		"config checksum":           pod.Annotations["checksum/config"] != "",
		"pod label":                 pod.Labels["tier"] == "secrets",
		"pull policy":               c.ImagePullPolicy == corev1.PullAlways,
		"pull secret":               len(pod.Spec.ImagePullSecrets) == 1 && pod.Spec.ImagePullSecrets[0].Name == "regcred",
		"node selector":             pod.Spec.NodeSelector["example.com/pool"] == "secrets",
		"toleration":                len(pod.Spec.Tolerations) == 1 && pod.Spec.Tolerations[0].Value == "secrets",
		"affinity":                  pod.Spec.Affinity != nil && pod.Spec.Affinity.NodeAffinity != nil,
		"priority class":            pod.Spec.PriorityClassName == "system-cluster-critical",
		"memory limit":              c.Resources.Limits.Memory().String() == "512Mi",
		"update strategy":           sts.Spec.UpdateStrategy.Type == "RollingUpdate",
		"storage size":              sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().String() == "5Gi",
		"storage class":             ptrEq(sts.Spec.VolumeClaimTemplates[0].Spec.StorageClassName, "fast-ssd"),
		"storage annotation":        sts.Spec.VolumeClaimTemplates[0].Annotations["example.com/backup"] == "daily",
		"service account note":      o.serviceAccounts[0].Annotations["example.com/owner"] == "platform",
		"extra env":                 hasEnv(c, "GODEBUG", "madvdontneed=1"),
		"VAULT_ADDR https":          hasEnv(c, "VAULT_ADDR", "https://127.0.0.1:8200"),
		"VAULT_CACERT":              hasEnv(c, "VAULT_CACERT", "/vault/tls/ca.crt"),
		"api_addr https":            conf.APIAddr == "https://vaultd.vaultd.svc:8200",
		"TLS files from /vault/tls": conf.Listeners[0].TLSCertFile == "/vault/tls/tls.crt" && conf.Listeners[0].TLSKeyFile == "/vault/tls/tls.key",
	}
	var svc *corev1.Service
	for _, s := range o.services {
		if s.Spec.ClusterIP != corev1.ClusterIPNone {
			svc = s
		}
	}
	checks["service type"] = svc.Spec.Type == corev1.ServiceTypeLoadBalancer
	checks["service annotation"] = svc.Annotations["example.com/lb"] == "internal"
	checks["node port"] = svc.Spec.Ports[0].NodePort == 30820
	checks["source ranges"] = len(svc.Spec.LoadBalancerSourceRanges) == 1
	for name, ok := range checks {
		if !ok {
			t.Errorf("full values: %s not rendered as asked", name)
		}
	}
}

func ptrEq(p *string, v string) bool { return p != nil && *p == v }

func hasEnv(c corev1.Container, name, value string) bool {
	for _, e := range c.Env {
		if e.Name == name && e.Value == value {
			return true
		}
	}
	return false
}

// TestHelmMlockAndStorageClass: the two switches that change security and
// storage in less obvious ways.
func TestHelmMlockAndStorageClass(t *testing.T) {
	img := dockerImageOf(t)
	o, err := decodeObjects([]byte(helmTemplate(t, "--set", "server.mlock=true", "--set", "storage.storageClass=-")))
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, o, img, expect{
		namespace: "vaultd", image: "vaultd/vaultd:" + chartAppVersion(t), mlock: true,
		withBinding: true, withPDB: true,
	})
	if !ptrEq(o.statefulSets[0].Spec.VolumeClaimTemplates[0].Spec.StorageClassName, "") {
		t.Error(`storage.storageClass "-" should render storageClassName: ""`)
	}
}

// TestHelmRefusesBadValues: a mistake in values stops the render with a
// message naming the value, rather than producing a broken StatefulSet.
func TestHelmRefusesBadValues(t *testing.T) {
	cases := []struct {
		name string
		set  []string
		want string
	}{
		{"tls without a secret", []string{"tls.enabled=true"}, "tls.secretName is required"},
		{"unknown service type", []string{"service.type=Internal"}, "/service/type"},
		{"storage size", []string{"storage.size=lots"}, "/storage/size"},
		{"log level", []string{"server.logLevel=loud"}, "/server/logLevel"},
		{"update strategy", []string{"server.updateStrategy=Sometimes"}, "/server/updateStrategy"},
		{"port out of range", []string{"service.port=70000"}, "/service/port"},
		{"TLS version", []string{"tls.minVersion=tls10"}, "/tls/minVersion"},
		{"external service account without a name", []string{"serviceAccount.create=false"}, "serviceAccount.name is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"template", "vaultd", chartDir(t), "--namespace", "vaultd"}
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			out, err := runHelm(t, args...)
			if err == nil {
				t.Fatalf("helm template --set %v succeeded", tc.set)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("helm template --set %v: the error does not name %q:\n%s", tc.set, tc.want, out)
			}
		})
	}
}
