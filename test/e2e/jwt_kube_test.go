package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/hashicorp/vault/api"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/vaulttest"
)

// TestJWTKubernetesIssuer: a second cluster logs in without TokenReview.
// The real kube-apiserver is the OIDC issuer (its discovery document and
// JWKS readable anonymously through the system:service-account-issuer-
// discovery binding); vaultd, mounted as type "oidc", finds its keys by
// discovery and checks TokenRequest tokens itself. The method holds no
// Kubernetes credential at all, the logging-in service account may not
// create TokenReviews, and a login still succeeds after the API server is
// stopped: no TokenReview (no call of any kind) is made per login.
func TestJWTKubernetesIssuer(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real kube-apiserver harness")
	}
	ctx := context.Background()
	cluster, err := kube.StartCluster(ctx, kube.Options{IssuerAtHost: true})
	must(t, err, "start cluster")
	t.Cleanup(cluster.Stop)
	must(t, cluster.AllowAnonymousIssuerDiscovery(ctx), "anonymous issuer discovery")
	must(t, cluster.EnsureNamespace(ctx, "ci", nil), "namespace")
	for _, sa := range []string{"builder", "intruder"} {
		_, err := cluster.CreateServiceAccount(ctx, "ci", sa)
		must(t, err, "service account "+sa)
	}

	s := vaulttest.Start(t, vaulttest.Options{})
	root := s.Client
	must(t, root.Sys().EnableAuthWithOptions("cluster-b", &api.EnableAuthOptions{Type: "oidc"}), "auth enable oidc")
	_, err = root.Logical().Write("auth/cluster-b/config", map[string]any{
		"oidc_discovery_url":    cluster.Issuer,
		"oidc_discovery_ca_pem": string(cluster.CACertPEM),
		"bound_issuer":          cluster.Issuer,
	})
	must(t, err, "config by discovery")
	_, err = root.Logical().Write("auth/cluster-b/role/builder", map[string]any{
		"role_type":       "jwt",
		"bound_audiences": "vaultd",
		"bound_subject":   "system:serviceaccount:ci:builder",
		"user_claim":      "sub",
		"claim_mappings": map[string]any{
			"/kubernetes.io/namespace":           "namespace",
			"/kubernetes.io/serviceaccount/name": "service_account_name",
		},
		"token_policies": "default",
	})
	must(t, err, "role")

	good, err := cluster.CreateToken(ctx, "ci", "builder", []string{"vaultd"}, 3600)
	must(t, err, "builder token")
	later, err := cluster.CreateToken(ctx, "ci", "builder", []string{"vaultd"}, 3600)
	must(t, err, "second builder token")
	intruder, err := cluster.CreateToken(ctx, "ci", "intruder", []string{"vaultd"}, 3600)
	must(t, err, "intruder token")
	apiAudience, err := cluster.CreateToken(ctx, "ci", "builder", nil, 3600)
	must(t, err, "builder token for the API server's audience")

	// The builder has no rights: were vaultd to ask the API server to
	// review its token with that token (as the kubernetes method does
	// without a reviewer JWT), the API server would refuse.
	cs, err := kubernetes.NewForConfig(cluster.Config(apiAudience))
	must(t, err, "builder's clientset")
	review, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Group: "authentication.k8s.io", Resource: "tokenreviews", Verb: "create",
		}},
	}, metav1.CreateOptions{})
	must(t, err, "self access review")
	if review.Status.Allowed {
		t.Fatal("the builder may create TokenReviews; the test proves nothing")
	}

	client := s.NewClient("")
	login := func(jwt string) (*api.Secret, error) {
		return client.Logical().Write("auth/cluster-b/login", map[string]any{"role": "builder", "jwt": jwt})
	}
	sec, err := login(good)
	must(t, err, "builder login")
	if sec.Auth.Metadata["namespace"] != "ci" || sec.Auth.Metadata["service_account_name"] != "builder" {
		t.Fatalf("metadata %v", sec.Auth.Metadata)
	}
	_, err = login(intruder)
	wantStatus(t, err, http.StatusForbidden, "another service account")
	_, err = login(apiAudience)
	wantStatus(t, err, http.StatusForbidden, "another audience")

	cluster.Stop()
	_, err = login(later)
	must(t, err, "login with the API server stopped")
}
