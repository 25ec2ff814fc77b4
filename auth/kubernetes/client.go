package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// apiTarget is what decides which client to use: the API server's URL and
// the CA bundle that verifies it (empty: the system's roots).
type apiTarget struct {
	host   string
	caCert string
}

// clientCache keeps one client-go clientset for the current target, so
// logins share its connection (HTTP/2, kept alive) instead of dialling and
// handshaking each time. The bearer token differs per call and travels in
// the request's context.
type clientCache struct {
	timeout time.Duration

	mu     sync.Mutex
	target apiTarget
	cs     kubernetes.Interface
	rt     http.RoundTripper
}

func newClientCache(timeout time.Duration) *clientCache {
	return &clientCache{timeout: timeout}
}

// get returns the clientset for target, building it when the target changed.
func (c *clientCache) get(target apiTarget) (kubernetes.Interface, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cs != nil && c.target == target {
		return c.cs, nil
	}
	host, err := normalizeHost(target.host)
	if err != nil {
		return nil, err
	}
	var rt http.RoundTripper
	cfg := &rest.Config{
		Host:            host,
		TLSClientConfig: rest.TLSClientConfig{CAData: []byte(target.caCert)},
		// Logins are bounded by the server's own load, not by client-go's
		// default limit of 5 requests a second.
		QPS:       -1,
		Timeout:   c.timeout,
		UserAgent: "vaultd-kubernetes-auth",
		WrapTransport: func(next http.RoundTripper) http.RoundTripper {
			rt = next
			return &contextBearer{next: next}
		},
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes auth: client for %s: %w", host, err)
	}
	c.closeIdle()
	c.target, c.cs, c.rt = target, cs, rt
	return cs, nil
}

// reset forgets the client (after a config write, or on unmount).
func (c *clientCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeIdle()
	c.cs, c.rt, c.target = nil, nil, apiTarget{}
}

func (c *clientCache) closeIdle() {
	if ci, ok := c.rt.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

type bearerKey struct{}

// withBearer makes API calls under ctx authenticate with token.
func withBearer(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, bearerKey{}, token)
}

// contextBearer sets the Authorization header from the request's context.
// A call without a token fails rather than going out anonymously.
type contextBearer struct{ next http.RoundTripper }

func (b *contextBearer) RoundTrip(req *http.Request) (*http.Response, error) {
	token, _ := req.Context().Value(bearerKey{}).(string)
	if token == "" {
		return nil, errors.New("kubernetes auth: no bearer token for the API server")
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+token)
	return b.next.RoundTrip(req)
}

// reviewResult is the identity the API server vouched for.
type reviewResult struct {
	Namespace string
	Name      string
	UID       string
}

// errReviewUnavailable marks a failure to get an answer from the API
// server (unreachable, timed out, 5xx): a server-side fault, not a refusal.
var errReviewUnavailable = errors.New("kubernetes API server unavailable")

// errNotAuthenticated marks an answer that refuses the token.
var errNotAuthenticated = errors.New("token not authenticated")

// review asks the API server about jwt. audiences are those the token must
// be valid for (none: the API server's own).
func review(ctx context.Context, cs kubernetes.Interface, bearer, jwt string, audiences []string) (*reviewResult, error) {
	tr := &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: jwt, Audiences: audiences}}
	got, err := cs.AuthenticationV1().TokenReviews().Create(withBearer(ctx, bearer), tr, metav1.CreateOptions{})
	if err != nil {
		return nil, classifyAPIError("TokenReview", err)
	}
	st := got.Status
	if !st.Authenticated {
		if st.Error != "" {
			return nil, fmt.Errorf("%w: %s", errNotAuthenticated, st.Error)
		}
		return nil, errNotAuthenticated
	}
	if len(audiences) > 0 && !intersects(audiences, st.Audiences) {
		return nil, fmt.Errorf("%w: valid for audiences %v, wanted %v", errNotAuthenticated, st.Audiences, audiences)
	}
	parts := strings.Split(st.User.Username, ":")
	if len(parts) != 4 || parts[0] != "system" || parts[1] != "serviceaccount" {
		return nil, fmt.Errorf("%w: user %q is not a service account", errNotAuthenticated, st.User.Username)
	}
	return &reviewResult{Namespace: parts[2], Name: parts[3], UID: st.User.UID}, nil
}

// namespaceLabels reads a namespace's labels with the reviewer credential.
func namespaceLabels(ctx context.Context, cs kubernetes.Interface, bearer, namespace string) (map[string]string, error) {
	ns, err := cs.CoreV1().Namespaces().Get(withBearer(ctx, bearer), namespace, metav1.GetOptions{})
	if err != nil {
		return nil, classifyAPIError("namespace lookup", err)
	}
	return ns.Labels, nil
}

// classifyAPIError tells a refusal by the API server (401, 403, 404: the
// credential or token is not good) from a failure to get an answer.
func classifyAPIError(what string, err error) error {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		code := int(status.Status().Code)
		if code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusNotFound {
			return fmt.Errorf("%w: %s refused (%d): %w", errNotAuthenticated, what, code, err)
		}
	}
	return fmt.Errorf("%w: %s: %w", errReviewUnavailable, what, err)
}

func intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
