package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/vaulttest"
)

// TestJWTKubernetesIssuer: a second cluster logs in without TokenReview.
// The real kube-apiserver is the OIDC issuer (its discovery document and
// JWKS readable anonymously through the system:service-account-issuer-
// discovery binding); vaultd, mounted as type "oidc", finds its keys by
// discovery and checks TokenRequest tokens itself. The method holds no
// Kubernetes credential at all, and a login still succeeds after the API
// server is stopped: no TokenReview (no call of any kind) is made.
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
