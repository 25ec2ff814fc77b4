package kube

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os/exec"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// EnsureNamespace creates the namespace if it does not exist and sets the
// given labels on it (nil leaves the labels alone).
func (c *Cluster) EnsureNamespace(ctx context.Context, name string, labels map[string]string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	_, err := c.Clientset.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	switch {
	case err == nil:
		return nil
	case apierrors.IsAlreadyExists(err):
		if labels == nil {
			return nil
		}
		return c.LabelNamespace(ctx, name, labels)
	default:
		return fmt.Errorf("kube harness: create namespace %s: %w", name, err)
	}
}

// LabelNamespace merges labels into the namespace's labels; a label whose
// value is "-" is removed.
func (c *Cluster) LabelNamespace(ctx context.Context, name string, labels map[string]string) error {
	patch := map[string]any{}
	for k, v := range labels {
		if v == "-" {
			patch[k] = nil
		} else {
			patch[k] = v
		}
	}
	body, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": patch}})
	if err != nil {
		return fmt.Errorf("kube harness: %w", err)
	}
	_, err = c.Clientset.CoreV1().Namespaces().Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("kube harness: label namespace %s: %w", name, err)
	}
	return nil
}

// CreateServiceAccount creates a service account (and its namespace, when
// missing). An existing account is returned as it is.
func (c *Cluster) CreateServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	if err := c.EnsureNamespace(ctx, namespace, nil); err != nil {
		return nil, err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}}
	got, err := c.Clientset.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		got, err = c.Clientset.CoreV1().ServiceAccounts(namespace).Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("kube harness: service account %s/%s: %w", namespace, name, err)
	}
	return got, nil
}

// DeleteServiceAccount deletes a service account; a missing one is not an
// error. Tokens minted for it stop authenticating once the API server's
// token cache (about 10 s) has forgotten them.
func (c *Cluster) DeleteServiceAccount(ctx context.Context, namespace, name string) error {
	err := c.Clientset.CoreV1().ServiceAccounts(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("kube harness: delete service account %s/%s: %w", namespace, name, err)
	}
	return nil
}

// CreateToken mints a service-account token through the TokenRequest API,
// as the kubelet does for a pod. Empty audiences means the API server's
// own; expirationSeconds of zero means the server default (one hour), and
// the server refuses less than 600.
func (c *Cluster) CreateToken(ctx context.Context, namespace, serviceAccount string, audiences []string, expirationSeconds int64) (string, error) {
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{Audiences: audiences}}
	if expirationSeconds > 0 {
		req.Spec.ExpirationSeconds = &expirationSeconds
	}
	got, err := c.Clientset.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, serviceAccount, req, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("kube harness: token for %s/%s: %w", namespace, serviceAccount, err)
	}
	return got.Status.Token, nil
}

// BindClusterRole binds a cluster role to a service account cluster-wide,
// e.g. "system:auth-delegator" for a TokenReview caller.
func (c *Cluster) BindClusterRole(ctx context.Context, namespace, serviceAccount, clusterRole string) error {
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s--%s--%s", clusterRole, namespace, serviceAccount)},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: clusterRole},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: serviceAccount, Namespace: namespace}},
	}
	_, err := c.Clientset.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("kube harness: bind %s to %s/%s: %w", clusterRole, namespace, serviceAccount, err)
	}
	return nil
}

// EnsureClusterRole creates a cluster role with the given rules if none of
// that name exists.
func (c *Cluster) EnsureClusterRole(ctx context.Context, name string, rules []rbacv1.PolicyRule) error {
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
	_, err := c.Clientset.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("kube harness: cluster role %s: %w", name, err)
	}
	return nil
}

// AllowAnonymousIssuerDiscovery binds system:service-account-issuer-discovery
// to system:unauthenticated, so that anyone may read the API server's
// /.well-known/openid-configuration and /openid/v1/jwks, as an operator
// does to let relying parties outside the cluster verify its tokens.
func (c *Cluster) AllowAnonymousIssuerDiscovery(ctx context.Context) error {
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "vaultd-test-anonymous-issuer-discovery"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "system:service-account-issuer-discovery"},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "Group", Name: "system:unauthenticated"}},
	}
	_, err := c.Clientset.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("kube harness: anonymous issuer discovery: %w", err)
	}
	return nil
}

// CreateReviewer makes a service account that may call the TokenReview API
// (system:auth-delegator) and read namespaces (for label selectors), as an
// operator sets up for a Vault-style Kubernetes auth method, and returns a
// token for it with the API server's audience.
func (c *Cluster) CreateReviewer(ctx context.Context, namespace, name string) (string, error) {
	if _, err := c.CreateServiceAccount(ctx, namespace, name); err != nil {
		return "", err
	}
	if err := c.BindClusterRole(ctx, namespace, name, "system:auth-delegator"); err != nil {
		return "", err
	}
	const reader = "vaultd-test-namespace-reader"
	err := c.EnsureClusterRole(ctx, reader, []rbacv1.PolicyRule{{
		APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get"},
	}})
	if err != nil {
		return "", err
	}
	if err := c.BindClusterRole(ctx, namespace, name, reader); err != nil {
		return "", err
	}
	return c.CreateToken(ctx, namespace, name, nil, 0)
}

// SignToken signs claims with the cluster's own service-account key (RS256),
// producing a JWT the API server accepts as its own as far as the signature
// goes. Tests use it for tokens the TokenRequest API will not mint, such as
// one that has already expired.
func (c *Cluster) SignToken(claims map[string]any) (string, error) {
	return SignRS256(c.saKey, claims)
}

// SignRS256 signs claims as a compact JWS with the given key.
func SignRS256(key *rsa.PrivateKey, claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	if err != nil {
		return "", fmt.Errorf("kube harness: %w", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("kube harness: %w", err)
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("kube harness: sign: %w", err)
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

// Kubectl runs kubectl against the cluster as the admin user and returns
// its combined output.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.KubectlPath, append([]string{"--kubeconfig=" + c.KubeconfigPath}, args...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("kubectl %v: %w", args, err)
	}
	return out.Bytes(), nil
}
