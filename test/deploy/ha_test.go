package deploy

import (
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestPlainManifestsHA holds deploy/kubernetes/ha to the same rules as the
// single server, plus integrated storage's: three replicas spread over
// nodes, the cluster port, raft with a retry_join per pod, a budget of one
// pod at a time; and the API server accepts every object.
func TestPlainManifestsHA(t *testing.T) {
	img := dockerImageOf(t)
	dir := filepath.Join(repoRoot(t), "deploy", "kubernetes", "ha")
	o, err := decodeObjects(readManifestDir(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, o, img, expect{
		namespace: "vaultd", image: plainImage,
		withNamespace: true, withBinding: true, withPDB: true, ha: 3,
	})
	checkHAExtras(t, o)
	n, out, err := serverDryRun(t, dir)
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server: %v\n%s", err, out)
	}
	if want := objectCount(o); n != want {
		t.Fatalf("the API server accepted %d objects, the manifests have %d:\n%s", n, want, out)
	}
}

// TestHelmHA: --set server.ha.enabled=true --set server.ha.replicas=3
// renders an integrated-storage cluster that obeys the same rules, with
// TLS too, and the API server accepts it.
func TestHelmHA(t *testing.T) {
	img := dockerImageOf(t)
	for name, tc := range map[string]struct {
		args []string
		tls  bool
	}{
		"plain": {args: []string{"--set", "server.ha.enabled=true", "--set", "server.ha.replicas=3"}},
		"tls": {args: []string{"--set", "server.ha.enabled=true", "--set", "server.ha.replicas=5",
			"--set", "tls.enabled=true", "--set", "tls.secretName=vaultd-tls"}, tls: true},
	} {
		t.Run(name, func(t *testing.T) {
			rendered := helmTemplate(t, tc.args...)
			o, err := decodeObjects([]byte(rendered))
			if err != nil {
				t.Fatal(err)
			}
			replicas := 3
			if tc.tls {
				replicas = 5
			}
			conf := checkObjects(t, o, img, expect{
				namespace: "vaultd", image: "vaultd/vaultd:" + chartAppVersion(t), tls: tc.tls,
				withBinding: true, withPDB: true, ha: replicas,
			})
			if tc.tls && conf.Storage.Raft.RetryJoin[0].LeaderCACertFile != "/vault/tls/ca.crt" {
				t.Errorf("retry_join with TLS should trust the Secret's CA, got %+v", conf.Storage.Raft.RetryJoin[0])
			}
			checkHAExtras(t, o)
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

// checkHAExtras: the pods start in parallel (a sealed pod 0 must not hold
// back the others) and the headless Service carries the cluster port.
func checkHAExtras(t *testing.T, o *objects) {
	t.Helper()
	if p := o.statefulSets[0].Spec.PodManagementPolicy; p != "Parallel" {
		t.Errorf("podManagementPolicy = %q, want Parallel", p)
	}
	for _, s := range o.services {
		if s.Spec.ClusterIP != corev1.ClusterIPNone {
			continue
		}
		found := false
		for _, p := range s.Spec.Ports {
			found = found || p.Port == 8201
		}
		if !found {
			t.Errorf("headless Service %s has no cluster port 8201", s.Name)
		}
	}
}
