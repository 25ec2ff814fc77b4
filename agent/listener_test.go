package agent

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/test/certs"
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
	tlsFiles := certs.Write(t, t.TempDir())
	certFile, keyFile := tlsFiles.CertFile, tlsFiles.KeyFile

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
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: tlsFiles.Pool()}}}
	resp, err := c.Get("https://" + ls[0].ln.Addr().String() + ReadyPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("TLS probe: %d", resp.StatusCode)
	}
}
