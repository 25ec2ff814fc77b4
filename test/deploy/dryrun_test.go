package deploy

import (
	"path/filepath"
	"strings"
	"testing"
)

// serverDryRun applies a manifest file with `kubectl apply
// --dry-run=server --validate=strict`: the API server runs admission,
// defaulting and validation (and refuses unknown fields) but stores
// nothing. It returns the number of objects accepted.
func serverDryRun(t *testing.T, file string) (int, string, error) {
	t.Helper()
	c := cluster.Get(t)
	// The namespace must exist for the namespaced objects: a dry run of
	// the Namespace object itself creates nothing.
	if err := c.EnsureNamespace(t.Context(), "vaultd", nil); err != nil {
		t.Fatal(err)
	}
	out, err := c.Kubectl(t.Context(), "apply", "--dry-run=server", "--validate=strict", "-f", file)
	return strings.Count(string(out), "(server dry run)"), string(out), err
}

func objectCount(o *objects) int {
	return len(o.namespaces) + len(o.serviceAccounts) + len(o.bindings) + len(o.configMaps) +
		len(o.statefulSets) + len(o.services) + len(o.pdbs) + o.injectorCount()
}

// TestPlainManifestsServerDryRun: the API server accepts every object in
// deploy/kubernetes.
func TestPlainManifestsServerDryRun(t *testing.T) {
	data := readManifestDir(t, filepath.Join(repoRoot(t), "deploy", "kubernetes"))
	o, err := decodeObjects(data)
	if err != nil {
		t.Fatal(err)
	}
	n, out, err := serverDryRun(t, filepath.Join(repoRoot(t), "deploy", "kubernetes"))
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server: %v\n%s", err, out)
	}
	if want := objectCount(o); n != want {
		t.Fatalf("the API server accepted %d objects, the manifests have %d:\n%s", n, want, out)
	}
	t.Logf("accepted:\n%s", out)
}

// TestHelmServerDryRun: the API server accepts the chart's output with the
// defaults and with every option set.
func TestHelmServerDryRun(t *testing.T) {
	for name, args := range map[string][]string{
		"defaults": nil,
		"full":     {"-f", writeTemp(t, "full.yaml", []byte(fullValues))},
		"mlock":    {"--set", "server.mlock=true", "--set", "storage.storageClass=-"},
	} {
		t.Run(name, func(t *testing.T) {
			rendered := helmTemplate(t, args...)
			o, err := decodeObjects([]byte(rendered))
			if err != nil {
				t.Fatal(err)
			}
			n, out, err := serverDryRun(t, writeTemp(t, "rendered.yaml", []byte(rendered)))
			if err != nil {
				t.Fatalf("kubectl apply --dry-run=server: %v\n%s", err, out)
			}
			if want := objectCount(o); n != want {
				t.Fatalf("the API server accepted %d objects, the chart rendered %d:\n%s", n, want, out)
			}
		})
	}
}

// TestServerDryRunRefusesInvalid shows the dry run is a real check: the
// plain manifests with one invalid value, which strict local decoding
// cannot see, are refused by the API server.
func TestServerDryRunRefusesInvalid(t *testing.T) {
	base := string(readManifestDir(t, filepath.Join(repoRoot(t), "deploy", "kubernetes")))
	cases := map[string][2]string{
		// A PodDisruptionBudget may set minAvailable or maxUnavailable, not both.
		"pdb": {"  minAvailable: 1\n", "  minAvailable: 1\n  maxUnavailable: 1\n"},
		// A probe must name a port the container has.
		"probe port": {"              port: http\n              scheme: HTTP\n            periodSeconds: 5", "              port: no-such-port-name-is-this-long\n              scheme: HTTP\n            periodSeconds: 5"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(base, c[0]) {
				t.Fatalf("the manifests no longer contain %q; update this case", c[0])
			}
			broken := strings.Replace(base, c[0], c[1], 1)
			if _, err := decodeObjects([]byte(broken)); err != nil {
				t.Fatalf("local decoding already refuses it (%v); pick a case only the server sees", err)
			}
			if _, out, err := serverDryRun(t, writeTemp(t, "broken.yaml", []byte(broken))); err == nil {
				t.Fatalf("the API server accepted an invalid manifest:\n%s", out)
			}
		})
	}
}

// TestHelmInstallDryRun runs `helm install --dry-run=server` against the
// API server: Helm's own pre-install checks, and the release notes a user
// sees after installing.
func TestHelmInstallDryRun(t *testing.T) {
	c := cluster.Get(t)
	out, err := runHelmWith(t, c.KubeconfigPath, "install", "vaultd", chartDir(t),
		"--namespace", "vaultd", "--create-namespace", "--dry-run=server")
	if err != nil {
		t.Fatalf("helm install --dry-run=server: %v\n%s", err, out)
	}
	for _, want := range []string{
		"STATUS: pending-install",
		"kubectl exec -n vaultd -ti vaultd-0 -- vaultd operator init -key-shares=5 -key-threshold=3",
		"kubectl exec -n vaultd -ti vaultd-0 -- vaultd operator unseal",
		"kubectl exec -n vaultd vaultd-0 -- vault status",
		"http://vaultd.vaultd.svc:8200",
		"Upgrades do not restart the pod",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("helm install output lacks %q:\n%s", want, out)
		}
	}
}
