package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"
	kubeauth "github.com/hashicorp/vault/api/auth/kubernetes"

	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/vaulttest"
)

// TestKubernetesPodLogin is the walkthrough's whole flow against a real
// kube-apiserver: enable the method, configure it, store a secret, write
// the policy and the role, then log in as a pod does — through the real
// client helper reading its JWT from a file — and use the token.
func TestKubernetesPodLogin(t *testing.T) {
	ctx := context.Background()
	cluster := kube.Start(ctx, t)
	s := vaulttest.Start(t, vaulttest.Options{})
	root := s.Client

	must(t, cluster.EnsureNamespace(ctx, "default", nil), "namespace default")
	_, err := cluster.CreateServiceAccount(ctx, "default", "default")
	must(t, err, "service account default/default")
	_, err = cluster.CreateServiceAccount(ctx, "default", "intruder")
	must(t, err, "service account default/intruder")
	must(t, cluster.EnsureNamespace(ctx, "vaultd", nil), "namespace vaultd")
	reviewer, err := cluster.CreateReviewer(ctx, "vaultd", "vaultd")
	must(t, err, "reviewer")

	must(t, root.Sys().EnableAuthWithOptions("kubernetes", &api.EnableAuthOptions{Type: "kubernetes"}), "auth enable kubernetes")
	_, err = root.Logical().Write("auth/kubernetes/config", map[string]any{
		"kubernetes_host":      cluster.Host,
		"kubernetes_ca_cert":   string(cluster.CACertPEM),
		"token_reviewer_jwt":   reviewer,
		"disable_local_ca_jwt": true,
	})
	must(t, err, "write config")
	_, err = root.KVv2("secret").Put(ctx, "my-api", map[string]any{
		"DB_PASSWORD": "supersecret-from-vaultd", "API_KEY": "key-xyz", "DB_HOST": "db.example.com",
	})
	must(t, err, "kv put")
	_, err = root.KVv2("secret").Put(ctx, "payment-processor", map[string]any{"KEY": "x"})
	must(t, err, "kv put other")
	must(t, root.Sys().PutPolicy("my-api-policy", walkthroughPolicy), "policy write")
	_, err = root.Logical().Write("auth/kubernetes/role/my-api-role", map[string]any{
		"bound_service_account_names":      "default",
		"bound_service_account_namespaces": "default",
		"policies":                         "my-api-policy",
		"ttl":                              "1h",
	})
	must(t, err, "role write")

	jwt, err := cluster.CreateToken(ctx, "default", "default", nil, 3600)
	must(t, err, "pod token")
	jwtFile := filepath.Join(t.TempDir(), "token")
	must(t, os.WriteFile(jwtFile, []byte(jwt), 0o600), "write jwt file")

	pod := s.NewClient("")
	method, err := kubeauth.NewKubernetesAuth("my-api-role", kubeauth.WithServiceAccountTokenPath(jwtFile))
	must(t, err, "client helper")
	sec, err := pod.Auth().Login(ctx, method)
	must(t, err, "pod login")
	if sec.Auth.LeaseDuration != 3600 || !sec.Auth.Renewable || !contains(sec.Auth.Policies, "my-api-policy") {
		t.Fatalf("login auth: %+v", sec.Auth)
	}
	if sec.Auth.Metadata["service_account_name"] != "default" || sec.Auth.Metadata["service_account_namespace"] != "default" || sec.Auth.Metadata["role"] != "my-api-role" {
		t.Fatalf("login metadata: %v", sec.Auth.Metadata)
	}
	got, err := pod.KVv2("secret").Get(ctx, "my-api")
	must(t, err, "pod reads its secret")
	if got.Data["DB_PASSWORD"] != "supersecret-from-vaultd" {
		t.Fatalf("pod read %v", got.Data)
	}
	for _, probe := range []struct{ method, path string }{
		{http.MethodGet, "secret/data/payment-processor"},
		{http.MethodPost, "secret/data/my-api"},
		{"LIST", "secret/metadata/"},
		{http.MethodGet, "sys/mounts"},
	} {
		if status, _ := raw(t, pod, probe.method, probe.path, map[string]any{"data": map[string]any{}}); status != http.StatusForbidden {
			t.Errorf("pod token %s %s: %d, want 403", probe.method, probe.path, status)
		}
	}
	self, err := pod.Auth().Token().LookupSelf()
	must(t, err, "pod lookup-self")
	if ttl := ttlOf(t, self); ttl > 3600 || ttl < 3590 {
		t.Fatalf("pod token ttl %d", ttl)
	}
	if self.Data["path"] != "auth/kubernetes/login" || !strings.HasPrefix(self.Data["display_name"].(string), "kubernetes-") {
		t.Fatalf("pod token path %v display %v", self.Data["path"], self.Data["display_name"])
	}

	// Rotation: the pod's next read sees the new version.
	_, err = root.KVv2("secret").Put(ctx, "my-api", map[string]any{"DB_PASSWORD": "rotated-password-v2"})
	must(t, err, "rotate")
	got, err = pod.KVv2("secret").Get(ctx, "my-api")
	must(t, err, "read after rotation")
	if got.Data["DB_PASSWORD"] != "rotated-password-v2" || got.VersionMetadata.Version != 2 {
		t.Fatalf("after rotation: %v v%d", got.Data, got.VersionMetadata.Version)
	}

	// Renewal asks the method again; deleting the role stops it.
	_, err = pod.Auth().Token().RenewSelf(0)
	must(t, err, "renew while the role exists")
	_, err = root.Logical().Delete("auth/kubernetes/role/my-api-role")
	must(t, err, "delete role")
	_, err = pod.Auth().Token().RenewSelf(0)
	if err == nil {
		t.Fatal("renewal allowed after the role was deleted")
	}

	// Refused logins over HTTP: another service account, garbage, no role.
	_, err = root.Logical().Write("auth/kubernetes/role/my-api-role", map[string]any{
		"bound_service_account_names": "default", "bound_service_account_namespaces": "default", "policies": "my-api-policy",
	})
	must(t, err, "role again")
	other, err := cluster.CreateToken(ctx, "default", "intruder", nil, 3600)
	must(t, err, "intruder token")
	for name, body := range map[string]map[string]any{
		"another service account": {"role": "my-api-role", "jwt": other},
		"garbage":                 {"role": "my-api-role", "jwt": "not.a.jwt"},
	} {
		if status, b := raw(t, s.NewClient(""), http.MethodPost, "auth/kubernetes/login", body); status != http.StatusForbidden {
			t.Errorf("%s: %d %v, want 403", name, status, b)
		}
	}
	for name, body := range map[string]map[string]any{
		"no role":      {"jwt": jwt},
		"no jwt":       {"role": "my-api-role"},
		"unknown role": {"role": "nope", "jwt": jwt},
	} {
		if status, b := raw(t, s.NewClient(""), http.MethodPost, "auth/kubernetes/login", body); status != http.StatusBadRequest {
			t.Errorf("%s: %d %v, want 400", name, status, b)
		}
	}
}
