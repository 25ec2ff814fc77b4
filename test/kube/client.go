package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// adminHTTPClient is a plain HTTP client that trusts the cluster's CA and
// sends the admin token, for readiness probes.
func (c *Cluster) adminHTTPClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.CACertPEM)
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &bearerTransport{
			token: c.AdminToken,
			next: &http.Transport{
				TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			},
		},
	}
}

type bearerTransport struct {
	token string
	next  http.RoundTripper
}

func (t *bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(r)
}

// waitHTTP polls url until it answers 200, the component exits, or ctx ends.
func (c *Cluster) waitHTTP(ctx context.Context, name, url string, client *http.Client) error {
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Second}
	}
	var last string
	for {
		if err := c.exited(name); err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("kube harness: %w", err)
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube harness: %s not ready (%s): %w\n%s", name, last, ctx.Err(), c.LogTail(name, 30))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// connect builds the admin clientset and writes the kubeconfig for kubectl.
func (c *Cluster) connect() error {
	c.RESTConfig = c.Config(c.AdminToken)
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		return fmt.Errorf("kube harness: clientset: %w", err)
	}
	c.Clientset = cs
	c.KubeconfigPath = filepath.Join(c.Dir, "kubeconfig")
	if err := os.WriteFile(c.KubeconfigPath, []byte(c.kubeconfig()), 0o600); err != nil {
		return fmt.Errorf("kube harness: %w", err)
	}
	return nil
}

// Config returns a client configuration for the cluster that authenticates
// with the given bearer token, with client-side rate limiting off.
func (c *Cluster) Config(token string) *rest.Config {
	return &rest.Config{
		Host:            c.Host,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: append([]byte(nil), c.CACertPEM...)},
		QPS:             -1,
		Timeout:         30 * time.Second,
	}
}

func (c *Cluster) kubeconfig() string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: vaultd-test
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: admin
  user:
    token: %s
contexts:
- name: vaultd-test
  context:
    cluster: vaultd-test
    user: admin
current-context: vaultd-test
`, c.Host, filepath.Join(c.Dir, "ca.crt"), c.AdminToken)
}
