package kube_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vaultd/vaultd/test/kube"
)

var cluster kube.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	cluster.Stop()
	os.Exit(code)
}

// TestTokenReview is the harness's reason to exist: a token minted by the
// TokenRequest API reviews as authenticated, garbage and a token for a
// deleted service account do not.
func TestTokenReview(t *testing.T) {
	c := cluster.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	sa, err := c.CreateServiceAccount(ctx, "harness", "app")
	if err != nil {
		t.Fatal(err)
	}
	token, err := c.CreateToken(ctx, "harness", "app", []string{"vault"}, 600)
	if err != nil {
		t.Fatal(err)
	}
	reviewOf := func(tok string, aud ...string) authenticationv1.TokenReviewStatus {
		t.Helper()
		got, err := c.Clientset.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{
			Spec: authenticationv1.TokenReviewSpec{Token: tok, Audiences: aud},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	st := reviewOf(token, "vault")
	if !st.Authenticated || st.User.Username != "system:serviceaccount:harness:app" || st.User.UID != string(sa.UID) {
		t.Fatalf("review of a fresh token = %+v", st)
	}
	if st := reviewOf(token, "other"); st.Authenticated {
		t.Fatal("a token for audience vault reviewed as valid for another audience")
	}
	if st := reviewOf("garbage"); st.Authenticated {
		t.Fatal("garbage authenticated")
	}
	expired, err := c.SignToken(map[string]any{
		"iss": c.Issuer, "sub": "system:serviceaccount:harness:app", "aud": []string{"vault"},
		"exp": time.Now().Add(-time.Hour).Unix(), "iat": time.Now().Add(-2 * time.Hour).Unix(),
		"kubernetes.io": map[string]any{"namespace": "harness", "serviceaccount": map[string]any{"name": "app", "uid": string(sa.UID)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := reviewOf(expired, "vault"); st.Authenticated {
		t.Fatal("an expired token signed with the cluster's key authenticated")
	}
	fresh, err := c.SignToken(map[string]any{
		"iss": c.Issuer, "sub": "system:serviceaccount:harness:app", "aud": []string{"vault"},
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(), "nbf": time.Now().Unix(),
		"kubernetes.io": map[string]any{"namespace": "harness", "serviceaccount": map[string]any{"name": "app", "uid": string(sa.UID)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := reviewOf(fresh, "vault"); !st.Authenticated {
		t.Fatalf("a token signed with the cluster's key did not authenticate: %+v", st)
	}
}

// TestReviewerAndLabels checks the RBAC helpers: a reviewer may call the
// TokenReview API and read namespace labels; a plain service account may not.
func TestReviewerAndLabels(t *testing.T) {
	c := cluster.Get(t)
	ctx := t.Context()
	reviewer, err := c.CreateReviewer(ctx, "vault", "vaultd")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateServiceAccount(ctx, "harness", "plain"); err != nil {
		t.Fatal(err)
	}
	plain, err := c.CreateToken(ctx, "harness", "plain", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureNamespace(ctx, "labelled", map[string]string{"team": "a"}); err != nil {
		t.Fatal(err)
	}
	if err := c.LabelNamespace(ctx, "labelled", map[string]string{"vault-access": "granted", "team": "-"}); err != nil {
		t.Fatal(err)
	}
	as := func(token string) kubernetes.Interface {
		cs, err := kubernetes.NewForConfig(c.Config(token))
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	ns, err := as(reviewer).CoreV1().Namespaces().Get(ctx, "labelled", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ns.Labels["vault-access"] != "granted" || ns.Labels["team"] != "" {
		t.Fatalf("labels = %v", ns.Labels)
	}
	tr := &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: plain}}
	if _, err := as(reviewer).AuthenticationV1().TokenReviews().Create(ctx, tr, metav1.CreateOptions{}); err != nil {
		t.Fatalf("reviewer cannot review: %v", err)
	}
	if _, err := as(plain).AuthenticationV1().TokenReviews().Create(ctx, tr, metav1.CreateOptions{}); err == nil {
		t.Fatal("a service account without system:auth-delegator could review tokens")
	}
}

// TestKubectlServerDryRun is what the deploy tests build on.
func TestKubectlServerDryRun(t *testing.T) {
	c := cluster.Get(t)
	manifest := filepath.Join(t.TempDir(), "cm.yaml")
	err := os.WriteFile(manifest, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\n  namespace: default\ndata:\n  a: b\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Kubectl(t.Context(), "apply", "--dry-run=server", "-f", manifest)
	if err != nil || !strings.Contains(string(out), "configmap/probe created (server dry run)") {
		t.Fatalf("kubectl apply --dry-run=server: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	err = os.WriteFile(bad, []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n  replicas: -1\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := c.Kubectl(t.Context(), "apply", "--dry-run=server", "-f", bad); err == nil {
		t.Fatalf("the API server accepted an invalid Deployment:\n%s", out)
	}
}
