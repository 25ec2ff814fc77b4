package migrate_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestMigrateExistingAndDelete: an entry that already holds other data
// stops the run with nothing written; -overwrite replaces it (a new
// version); -delete-secrets deletes the Secrets only with -apply and only
// once their entries read back equal.
func TestMigrateExistingAndDelete(t *testing.T) {
	c := cluster.Get(t)
	kc := kubeClient(t, c)
	s := vaulttest.Start(t, vaulttest.Options{})
	env := vaultEnv(s.Addr, s.RootToken)
	ctx := context.Background()
	must(t, c.EnsureNamespace(ctx, "ops", nil), "namespace")
	createSecret(t, kc, "ops", "one", map[string][]byte{"k": []byte("v1")})
	createSecret(t, kc, "ops", "two", map[string][]byte{"k": []byte("v2")})
	_, err := s.Client.KVv2("secret").Put(ctx, "ops/two", map[string]any{"k": "someone else's"})
	must(t, err, "kv put")
	base := []string{"migrate", "k8s-secrets", "-kubeconfig=" + c.KubeconfigPath, "-namespace=ops"}

	stdout, stderr, code := run(t, env, append(base, "-apply")...)
	if code != 2 || !strings.Contains(stderr, "secret/data/ops/two") || !strings.Contains(stderr, "nothing was written") {
		t.Fatalf("conflict: exit %d\n%s%s", code, stdout, stderr)
	}
	if m, _ := s.Client.KVv2("secret").GetMetadata(ctx, "ops/one"); m != nil {
		t.Fatalf("ops/one written despite the conflict")
	}
	if _, stderr, code := run(t, env, append(base, "-delete-secrets")...); code != 1 || !strings.Contains(stderr, "-delete-secrets needs -apply") {
		t.Fatalf("-delete-secrets without -apply: exit %d %s", code, stderr)
	}

	stdout, stderr, code = run(t, env, append(base, "-apply", "-overwrite", "-delete-secrets")...)
	if code != 0 {
		t.Fatalf("overwrite: exit %d\n%s%s", code, stdout, stderr)
	}
	two, err := s.Client.KVv2("secret").Get(ctx, "ops/two")
	must(t, err, "kv get")
	if two.Data["k"] != "v2" || two.VersionMetadata.Version != 2 {
		t.Fatalf("ops/two after -overwrite: %v v%d", two.Data, two.VersionMetadata.Version)
	}
	left, err := kc.CoreV1().Secrets("ops").List(ctx, metav1.ListOptions{})
	must(t, err, "list")
	if len(left.Items) != 0 {
		t.Fatalf("Secrets left after -delete-secrets: %d", len(left.Items))
	}
	if !strings.Contains(stderr, "delete ops/one: deleted") {
		t.Errorf("progress:\n%s", stderr)
	}
}
