package kubernetes_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaultd/vaultd/auth/kubernetes"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/test/kube"
)

// cluster is one real API server for this package's tests.
var cluster kube.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	cluster.Stop()
	os.Exit(code)
}

// fixture is the auth method as it runs in a pod: vaultd's own service
// account ("vaultd" in "vault", bound to system:auth-delegator) has its
// token and the cluster CA at the injected local paths, and the config
// names nothing but the host, as in the walkthrough.
type fixture struct {
	c         *kube.Cluster
	b         *kubernetes.Backend
	storage   *logical.InmemStorage
	tokenPath string
	clock     *clock
}

type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

func newFixture(t testing.TB, opts kubernetes.Options) *fixture {
	t.Helper()
	c := cluster.Get(t)
	ctx := context.Background()
	reviewer, err := c.CreateReviewer(ctx, "vault", "vaultd")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := &fixture{c: c, storage: logical.NewInmemStorage(), tokenPath: filepath.Join(dir, "token"), clock: &clock{}}
	caPath := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(f.tokenPath, []byte(reviewer), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caPath, c.CACertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	opts.LocalTokenPath, opts.LocalCACertPath = f.tokenPath, caPath
	f.b, err = kubernetes.New(&logical.BackendConfig{
		Storage: f.storage,
		System:  logical.StaticSystemView{DefaultTTL: 768 * time.Hour, MaxTTL: 768 * time.Hour, Clock: f.clock.Now},
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.b.Cleanup(context.Background()) })
	f.must(t, logical.UpdateOperation, "config", map[string]any{"kubernetes_host": c.Host})
	f.must(t, logical.CreateOperation, "role/my-api-role", map[string]any{
		"bound_service_account_names":      "default",
		"bound_service_account_namespaces": "default",
		"policies":                         "my-api-policy",
		"ttl":                              "1h",
	})
	return f
}

func (f *fixture) do(op logical.Operation, path string, data map[string]any) (*logical.Response, error) {
	return f.b.HandleRequest(context.Background(), &logical.Request{
		Operation: op, Path: path, Data: data, Storage: f.storage, RemoteAddr: "127.0.0.1",
	})
}

func (f *fixture) must(t testing.TB, op logical.Operation, path string, data map[string]any) *logical.Response {
	t.Helper()
	resp, err := f.do(op, path, data)
	if err != nil {
		t.Fatalf("%s %s: %v", op, path, err)
	}
	return resp
}

func (f *fixture) login(role, jwt string) (*logical.Response, error) {
	return f.do(logical.UpdateOperation, "login", map[string]any{"role": role, "jwt": jwt})
}

// token makes a service account (and namespace) and mints it a token as
// the kubelet would for a pod: the API server's audience, one hour.
func (f *fixture) token(t testing.TB, ns, name string, aud ...string) (string, string) {
	t.Helper()
	sa, err := f.c.CreateServiceAccount(context.Background(), ns, name)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := f.c.CreateToken(context.Background(), ns, name, aud, 3600)
	if err != nil {
		t.Fatal(err)
	}
	return tok, string(sa.UID)
}

func wantDenied(t *testing.T, resp *logical.Response, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("login succeeded (%+v); want 403", resp.Auth)
	}
	if got := logical.StatusOf(err); got != http.StatusForbidden {
		t.Fatalf("status %d (%v), want 403", got, err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Fatalf("error %q does not mention %q", err, msg)
	}
}

// TestKubePodLogin is the walkthrough: a pod running as default/default
// logs in with its token and gets my-api-policy for an hour.
func TestKubePodLogin(t *testing.T) {
	f := newFixture(t, kubernetes.Options{})
	jwt, uid := f.token(t, "default", "default")
	resp, err := f.login("my-api-role", jwt)
	if err != nil {
		t.Fatalf("login: %v\n%s", err, f.c.LogTail("kube-apiserver", 20))
	}
	a := resp.Auth
	if !reflect.DeepEqual(a.Policies, []string{"my-api-policy"}) || !reflect.DeepEqual(a.TokenPolicies, []string{"my-api-policy"}) {
		t.Fatalf("policies %v / %v", a.Policies, a.TokenPolicies)
	}
	if a.TTL != time.Hour || !a.Renewable || a.TokenType != logical.TokenTypeService || a.DisplayName != "default-default" {
		t.Fatalf("auth = %+v", a)
	}
	wantMeta := map[string]string{
		"role": "my-api-role", "service_account_name": "default", "service_account_namespace": "default",
		"service_account_secret_name": "", "service_account_uid": uid,
	}
	if !reflect.DeepEqual(a.Metadata, wantMeta) {
		t.Fatalf("metadata %v, want %v", a.Metadata, wantMeta)
	}
	if strings.Contains(fmt.Sprintf("%+v", *a), jwt) {
		t.Fatal("the JWT leaked into the auth")
	}

	// Renewal re-checks the role: fine while it binds the account...
	renewed, err := f.do(logical.RenewOperation, "login", nil)
	if err == nil || renewed != nil {
		t.Fatal("renew without auth accepted")
	}
	r, err := f.b.HandleRequest(context.Background(), &logical.Request{Operation: logical.RenewOperation, Path: "login", Storage: f.storage, Auth: a})
	if err != nil || r.Auth.TTL != time.Hour {
		t.Fatalf("renew = %+v, %v", r, err)
	}
	// ...refused once the role is gone.
	f.must(t, logical.DeleteOperation, "role/my-api-role", nil)
	_, err = f.b.HandleRequest(context.Background(), &logical.Request{Operation: logical.RenewOperation, Path: "login", Storage: f.storage, Auth: a})
	if logical.StatusOf(err) != http.StatusForbidden {
		t.Fatalf("renew after role delete = %v, want 403", err)
	}
}

// TestKubeLoginRefused: every way a token can be wrong, each refused with
// a 403. Some are caught from the claims; the others only the API server
// can catch (signature without pem_keys, an expiry inside the local
// leeway), which is why it is asked.
func TestKubeLoginRefused(t *testing.T) {
	f := newFixture(t, kubernetes.Options{})
	_, uid := f.token(t, "default", "default")
	otherSA, _ := f.token(t, "default", "web")
	otherNS, _ := f.token(t, "elsewhere", "default")
	claims := func(exp time.Duration) map[string]any {
		now := time.Now()
		return map[string]any{
			"iss": f.c.Issuer, "sub": "system:serviceaccount:default:default", "aud": []string{f.c.Issuer},
			"exp": now.Add(exp).Unix(), "iat": now.Add(-time.Hour).Unix(), "nbf": now.Add(-time.Hour).Unix(),
			"kubernetes.io": map[string]any{"namespace": "default", "serviceaccount": map[string]any{"name": "default", "uid": uid}},
		}
	}
	sign := func(c map[string]any) string {
		tok, err := f.c.SignToken(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	strange, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := kube.SignRS256(strange, claims(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, jwt, msg string
	}{
		{"another service account", otherSA, "service account name not authorized"},
		{"another namespace", otherNS, "namespace not authorized"},
		{"expired an hour ago", sign(claims(-time.Hour)), "token is expired"},
		{"expired 100 s ago: inside the local leeway, caught by the API server", sign(claims(-100 * time.Second)), "permission denied"},
		{"garbage", "garbage", "malformed JWT"},
		{"signed by another key (API server's check)", forged, "permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := f.login("my-api-role", tt.jwt)
			wantDenied(t, resp, err, tt.msg)
		})
	}
	// The same claims signed with the cluster's key do log in: the refusals
	// above are about expiry and signature, not the harness's token shape.
	if _, err := f.login("my-api-role", sign(claims(time.Hour))); err != nil {
		t.Fatalf("a well-formed token signed by the cluster: %v", err)
	}

	// With pem_keys, a forged signature is caught without the API server.
	f.must(t, logical.UpdateOperation, "config", map[string]any{
		"kubernetes_host": f.c.Host, "pem_keys": string(f.c.ServiceAccountPublicKeyPEM),
	})
	resp, err := f.login("my-api-role", forged)
	wantDenied(t, resp, err, "permission denied")
	if _, err := f.login("my-api-role", sign(claims(time.Hour))); err != nil {
		t.Fatalf("genuine token with pem_keys: %v", err)
	}
}

// TestKubeDeletedServiceAccount: a token stops working once its service
// account is deleted (after the API server's ~10 s token cache).
func TestKubeDeletedServiceAccount(t *testing.T) {
	f := newFixture(t, kubernetes.Options{})
	f.must(t, logical.CreateOperation, "role/doomed", map[string]any{
		"bound_service_account_names": "doomed", "bound_service_account_namespaces": "default",
	})
	jwt, _ := f.token(t, "default", "doomed")
	if _, err := f.login("doomed", jwt); err != nil {
		t.Fatalf("login before delete: %v", err)
	}
	if err := f.c.DeleteServiceAccount(context.Background(), "default", "doomed"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(40 * time.Second)
	for {
		resp, err := f.login("doomed", jwt)
		if err != nil {
			wantDenied(t, resp, err, "permission denied")
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a deleted service account's token still logs in after 40s")
		}
		time.Sleep(time.Second)
	}
}

// TestKubeAudience: a role with an audience takes only tokens minted for
// it, and asks the API server to check the same audience.
func TestKubeAudience(t *testing.T) {
	f := newFixture(t, kubernetes.Options{})
	f.must(t, logical.CreateOperation, "role/aud", map[string]any{
		"bound_service_account_names": "default", "bound_service_account_namespaces": "default",
		"audience": "vault", "token_policies": "p",
	})
	forVault, _ := f.token(t, "default", "default", "vault")
	forOther, _ := f.token(t, "default", "default", "other")
	if _, err := f.login("aud", forVault); err != nil {
		t.Fatalf("token for the role's audience: %v", err)
	}
	resp, err := f.login("aud", forOther)
	wantDenied(t, resp, err, "audience")
	// A token with the API server's audience is not one for vault either.
	apiAud, _ := f.token(t, "default", "default")
	resp, err = f.login("aud", apiAud)
	wantDenied(t, resp, err, "audience")
}

// TestKubeNamespaceSelector: a role bound by label selector admits a
// namespace once it carries the label, read through the API server.
func TestKubeNamespaceSelector(t *testing.T) {
	f := newFixture(t, kubernetes.Options{})
	f.must(t, logical.CreateOperation, "role/by-label", map[string]any{
		"bound_service_account_names":              "app",
		"bound_service_account_namespace_selector": `{"matchLabels":{"vault-access":"granted"}}`,
		"token_policies":                           "team",
	})
	jwt, _ := f.token(t, "team-a", "app")
	resp, err := f.login("by-label", jwt)
	wantDenied(t, resp, err, "namespace not authorized")
	if err := f.c.LabelNamespace(context.Background(), "team-a", map[string]string{"vault-access": "granted"}); err != nil {
		t.Fatal(err)
	}
	resp, err = f.login("by-label", jwt)
	if err != nil {
		t.Fatalf("login from a labelled namespace: %v", err)
	}
	// Renewal re-reads the labels: remove the label, renewal is refused.
	if err := f.c.LabelNamespace(context.Background(), "team-a", map[string]string{"vault-access": "-"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.b.HandleRequest(context.Background(), &logical.Request{Operation: logical.RenewOperation, Path: "login", Storage: f.storage, Auth: resp.Auth})
	if logical.StatusOf(err) != http.StatusForbidden {
		t.Fatalf("renew after unlabelling = %v, want 403", err)
	}
}

// TestKubeSelfReview: with no reviewer JWT (outside a pod), the client's
// own JWT reviews itself, which works only if its service account may
// create TokenReviews.
func TestKubeSelfReview(t *testing.T) {
	f := newFixture(t, kubernetes.Options{})
	f.must(t, logical.UpdateOperation, "config", map[string]any{
		"kubernetes_host": f.c.Host, "kubernetes_ca_cert": string(f.c.CACertPEM), "disable_local_ca_jwt": true,
	})
	f.must(t, logical.CreateOperation, "role/self", map[string]any{
		"bound_service_account_names": "selfie", "bound_service_account_namespaces": "default",
	})
	jwt, _ := f.token(t, "default", "selfie")
	resp, err := f.login("self", jwt)
	wantDenied(t, resp, err, "permission denied")
	if err := f.c.BindClusterRole(context.Background(), "default", "selfie", "system:auth-delegator"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second) // RBAC changes take a moment
	for {
		_, err := f.login("self", jwt)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("self-review after binding system:auth-delegator: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestKubeRotatedReviewerToken: the pod's token file is read again after
// the reload period, so a rotated (here: broken, then restored) token
// takes effect without a restart.
func TestKubeRotatedReviewerToken(t *testing.T) {
	f := newFixture(t, kubernetes.Options{})
	jwt, _ := f.token(t, "default", "default")
	if _, err := f.login("my-api-role", jwt); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(f.tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.tokenPath, []byte("revoked-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.login("my-api-role", jwt); err != nil {
		t.Fatalf("login within the reload period must still use the cached token: %v", err)
	}
	f.clock.Advance(kubernetes.DefaultTokenReloadPeriod + time.Second)
	resp, err := f.login("my-api-role", jwt)
	wantDenied(t, resp, err, "permission denied")
	if err := os.WriteFile(f.tokenPath, good, 0o600); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(kubernetes.DefaultTokenReloadPeriod + time.Second)
	if _, err := f.login("my-api-role", jwt); err != nil {
		t.Fatalf("login after the token was restored: %v", err)
	}
}

// TestKubeAPIServerStops: a login against a stopped API server is a prompt
// 500, not a hang.
func TestKubeAPIServerStops(t *testing.T) {
	c := kube.Start(context.Background(), t)
	b, err := kubernetes.New(&logical.BackendConfig{
		Storage: logical.NewInmemStorage(),
		System:  logical.StaticSystemView{MaxTTL: time.Hour},
	}, kubernetes.Options{RequestTimeout: 2 * time.Second, LocalTokenPath: "/nonexistent", LocalCACertPath: "/nonexistent"})
	if err != nil {
		t.Fatal(err)
	}
	storage := logical.NewInmemStorage()
	do := func(op logical.Operation, path string, data map[string]any) error {
		_, err := b.HandleRequest(context.Background(), &logical.Request{Operation: op, Path: path, Data: data, Storage: storage})
		return err
	}
	reviewer, err := c.CreateReviewer(context.Background(), "vault", "vaultd")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		path string
		data map[string]any
	}{
		{"config", map[string]any{"kubernetes_host": c.Host, "kubernetes_ca_cert": string(c.CACertPEM), "token_reviewer_jwt": reviewer}},
		{"role/r", map[string]any{"bound_service_account_names": "default", "bound_service_account_namespaces": "default"}},
	} {
		if err := do(logical.UpdateOperation, w.path, w.data); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateServiceAccount(context.Background(), "default", "default"); err != nil {
		t.Fatal(err)
	}
	jwt, err := c.CreateToken(context.Background(), "default", "default", nil, 3600)
	if err != nil {
		t.Fatal(err)
	}
	if err := do(logical.UpdateOperation, "login", map[string]any{"role": "r", "jwt": jwt}); err != nil {
		t.Fatalf("login while up: %v", err)
	}
	c.Stop()
	start := time.Now()
	err = do(logical.UpdateOperation, "login", map[string]any{"role": "r", "jwt": jwt})
	if logical.StatusOf(err) != http.StatusInternalServerError || time.Since(start) > 10*time.Second {
		t.Fatalf("login after the API server stopped: %v after %v", err, time.Since(start))
	}
	if errors.Is(err, logical.ErrPermissionDenied) {
		t.Fatal("an outage must not look like a refusal")
	}
}
