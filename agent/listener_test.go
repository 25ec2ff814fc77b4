package agent

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// The proxy's token modes against a real vaultd: "true" adds the agent's
// token only to a request without one, "force" replaces any; with no
// api_proxy a listener does not forward at all.
func TestAPIProxyTokenModes(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	if err := s.Client.Sys().PutPolicy("reader", `path "secret/data/*" { capabilities = ["read"] }`); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"reader"}, TTL: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	hub := &tokenHub{}
	hub.set(tok.Auth.ClientToken)
	ready := newReadiness()
	log := slog.New(slog.DiscardHandler)
	on, force, none := "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg := &Config{Vault: Vault{Address: s.Addr}, Listeners: []*Listener{
		{Type: "tcp", Address: on, TLSDisable: true, APIProxy: &APIProxy{UseAutoAuthToken: AutoAuthTokenOn}},
		{Type: "tcp", Address: force, TLSDisable: true, APIProxy: &APIProxy{UseAutoAuthToken: AutoAuthTokenForce}},
		{Type: "tcp", Address: none, TLSDisable: true},
	}}
	// Each listener asks for its own free port; Validate's duplicate
	// check is not run here.
	ls, err := startListeners(cfg, http.DefaultTransport, hub, ready, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, l := range ls {
			_ = l.srv.Close()
		}
	})
	get := func(l *listenerServer, path, token string) int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+l.ln.Addr().String()+path, nil)
		if token != "" {
			req.Header.Set("X-Vault-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		name  string
		l     *listenerServer
		token string
		want  int
	}{
		{"true, no token: the agent's (cannot list mounts)", ls[0], "", http.StatusForbidden},
		{"true, the app's root token passes", ls[0], s.RootToken, http.StatusOK},
		{"force: the agent's replaces root", ls[1], s.RootToken, http.StatusForbidden},
		{"no api_proxy: not forwarded", ls[2], s.RootToken, http.StatusNotFound},
	}
	for _, tc := range cases {
		if got := get(tc.l, "/v1/sys/mounts", tc.token); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := get(ls[0], "/v1/secret/data/missing", ""); got != http.StatusNotFound {
		t.Errorf("agent token reading a missing secret: %d, want 404", got)
	}
	if got := get(ls[2], ReadyPath, ""); got != http.StatusServiceUnavailable {
		t.Errorf("ready before rendering: %d", got)
	}
	ready.set()
	if got := get(ls[2], ReadyPath, ""); got != http.StatusOK {
		t.Errorf("ready after rendering: %d", got)
	}
}

// A listener with tls_cert_file and tls_key_file serves the probe over TLS.
func TestListenerTLS(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "agent"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, BasicConstraintsValid: true, IsCA: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)

	ready := newReadiness()
	ready.set()
	cfg := &Config{Vault: Vault{Address: "http://127.0.0.1:1"}, Listeners: []*Listener{
		{Type: "tcp", Address: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: keyFile},
	}}
	ls, err := startListeners(cfg, http.DefaultTransport, &tokenHub{}, ready, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer ls[0].srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(mustParse(t, der))
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get("https://" + ls[0].ln.Addr().String() + ReadyPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("TLS probe: %d", resp.StatusCode)
	}
}

func mustParse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
