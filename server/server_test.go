package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// Tests of the server around the handler: panics, logging, TLS, shutdown.
// The core is the fakeCore test double throughout.

func TestPanicIsA500WithoutStack(t *testing.T) {
	const secret = "s3cr3t-body-value"
	fc := &fakeCore{initialized: true, handle: func(_ context.Context, req *logical.Request) (*logical.Response, error) {
		panic("boom while handling " + req.Data["password"].(string))
	}}
	s, logs := newTestServer(t, fc)
	w := do(t, s.Handler(), "PUT", "/v1/secret/data/x", `{"password":"`+secret+`"}`, "X-Vault-Token", "hvs.tokenvalue")
	wantError(t, w, http.StatusInternalServerError, "internal error")
	if errs := errorsOf(t, w); errs[0] != "internal error" {
		t.Fatalf("errors = %q", errs)
	}
	wantCommonHeaders(t, w)
	for _, leak := range []string{"goroutine", "panic", "boom", secret, ".go:"} {
		if strings.Contains(w.Body.String(), leak) {
			t.Fatalf("the response holds %q: %s", leak, w.Body.String())
		}
	}
	log := logs.String()
	if !strings.Contains(log, "panic serving request") || !strings.Contains(log, "panic_type=string") {
		t.Fatalf("the panic was not logged: %s", log)
	}
	for _, leak := range []string{secret, "hvs.tokenvalue", "boom"} {
		if strings.Contains(log, leak) {
			t.Fatalf("the log holds %q: %s", leak, log)
		}
	}

	// A runtime error's message is safe and useful, so it is logged.
	fc.handle = func(_ context.Context, req *logical.Request) (*logical.Response, error) {
		var none []string
		return nil, errors.New(none[len(req.Path)])
	}
	wantError(t, do(t, s.Handler(), "PUT", "/v1/x", `{}`), 500, "internal error")
	if !strings.Contains(logs.String(), "index out of range") {
		t.Fatalf("runtime error not logged: %s", logs.String())
	}
}

func TestPanicAfterWriteKeepsStatus(t *testing.T) {
	// Once a handler has written, the panic handler cannot change the status.
	s, logs := newTestServer(t, &fakeCore{initialized: true})
	h := s.recoverAndLog(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		panic("late")
	}))
	w := do(t, h, "GET", "/v1/x", "")
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("status %d body %q", w.Code, w.Body.String())
	}
	if !strings.Contains(logs.String(), "panic serving request") {
		t.Fatal("panic not logged")
	}
}

func TestRequestLogHasNoSecrets(t *testing.T) {
	fc := &fakeCore{initialized: true, handle: func(context.Context, *logical.Request) (*logical.Response, error) {
		return &logical.Response{Data: map[string]any{"value": "response-secret"}}, nil
	}}
	s, logs := newTestServer(t, fc)
	do(t, s.Handler(), "PUT", "/v1/secret/data/x?token=query-secret", `{"password":"body-secret"}`,
		"X-Vault-Token", "hvs.header-token", "Authorization", "Bearer hvs.bearer-token")
	do(t, s.Handler(), "GET", "/v1/auth/token/lookup/legacy-path-token", "")
	log := logs.String()
	for _, want := range []string{"method=PUT", "path=/v1/secret/data/x", "status=200", "duration=", "path=/v1/auth/token/lookup/<redacted>"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q: %s", want, log)
		}
	}
	for _, leak := range []string{"query-secret", "body-secret", "hvs.header-token", "hvs.bearer-token", "legacy-path-token", "response-secret"} {
		if strings.Contains(log, leak) {
			t.Errorf("log holds %q: %s", leak, log)
		}
	}
}

func TestNewValidation(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeSelfSigned(t, dir)
	tests := []struct {
		name    string
		conf    Config
		wantErr string
	}{
		{"no core", Config{TLSDisable: true}, "Config.Core is required"},
		{"TLS without files", Config{Core: &fakeCore{}}, "tls_cert_file and tls_key_file are required"},
		{"TLS without key", Config{Core: &fakeCore{}, TLSCertFile: cert}, "tls_cert_file and tls_key_file are required"},
		{"missing cert file", Config{Core: &fakeCore{}, TLSCertFile: filepath.Join(dir, "nope.pem"), TLSKeyFile: key}, "nope.pem"},
		{"key is not a key", Config{Core: &fakeCore{}, TLSCertFile: cert, TLSKeyFile: cert}, "loading TLS certificate"},
		{"tls11", Config{Core: &fakeCore{}, TLSCertFile: cert, TLSKeyFile: key, TLSMinVersion: "tls11"}, `tls_min_version "tls11" is not supported`},
		{"tls10", Config{Core: &fakeCore{}, TLSCertFile: cert, TLSKeyFile: key, TLSMinVersion: "tls10"}, "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.conf)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	s, err := New(Config{Core: &fakeCore{}, TLSCertFile: cert, TLSKeyFile: key})
	if err != nil || !s.TLS() {
		t.Fatalf("New with TLS: %v, TLS %v", err, s != nil && s.TLS())
	}
	s, err = New(Config{Core: &fakeCore{}, TLSDisable: true})
	if err != nil || s.TLS() || s.address != DefaultAddress {
		t.Fatalf("New plaintext: %v", err)
	}
}

// writeSelfSigned writes a fresh self-signed certificate for 127.0.0.1 and
// its key into dir.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "vaultd test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// serve starts s on a random local port and stops it when the test ends.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func TestTLSListener(t *testing.T) {
	certFile, keyFile := writeSelfSigned(t, t.TempDir())
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)

	tests := []struct {
		name             string
		minVersion       string
		clientMin, cMax  uint16
		wantHandshakeErr bool
	}{
		{"TLS 1.1 refused", "", tls.VersionTLS10, tls.VersionTLS11, true},
		{"TLS 1.2 accepted", "", tls.VersionTLS12, tls.VersionTLS12, false},
		{"TLS 1.3 accepted", "", tls.VersionTLS13, tls.VersionTLS13, false},
		{"tls13 refuses TLS 1.2", TLS13, tls.VersionTLS12, tls.VersionTLS12, true},
		{"tls13 accepts TLS 1.3", TLS13, tls.VersionTLS13, tls.VersionTLS13, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCore{initialized: true}
			s, _ := newTestServer(t, fc, func(c *Config) {
				c.TLSDisable = false
				c.TLSCertFile, c.TLSKeyFile, c.TLSMinVersion = certFile, keyFile, tt.minVersion
			})
			addr := serve(t, s)
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
				RootCAs: pool, MinVersion: tt.clientMin, MaxVersion: tt.cMax,
			}}}
			defer client.CloseIdleConnections()
			resp, err := client.Get("https://" + addr + "/v1/sys/health")
			if tt.wantHandshakeErr {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("handshake succeeded with TLS %x..%x", tt.clientMin, tt.cMax)
				}
				return
			}
			if err != nil {
				t.Fatalf("GET over TLS: %v", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.TLS == nil || resp.TLS.Version < tt.clientMin {
				t.Fatalf("status %d, TLS %+v", resp.StatusCode, resp.TLS)
			}
		})
	}

	t.Run("plaintext client is refused", func(t *testing.T) {
		s, _ := newTestServer(t, &fakeCore{initialized: true}, func(c *Config) {
			c.TLSDisable = false
			c.TLSCertFile, c.TLSKeyFile = certFile, keyFile
		})
		addr := serve(t, s)
		resp, err := http.Get("http://" + addr + "/v1/sys/health")
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("plain HTTP to the TLS port: status %d", resp.StatusCode)
			}
		}
	})
}

func TestRealListenerHeaders(t *testing.T) {
	// Over a real connection (not a recorder), a 204 still carries the
	// content type and no-store, and so does an error.
	s, _ := newTestServer(t, &fakeCore{initialized: true})
	addr := serve(t, s)
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{"PUT", "/v1/secret/data/x", 204},
		{"GET", "/v1/secret/data/x", 404},
		{"TRACE", "/v1/secret/data/x", 405},
		{"GET", "/nope", 404},
	} {
		req, _ := http.NewRequest(tt.method, "http://"+addr+tt.path, strings.NewReader(`{}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
		if resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: headers %v", tt.method, tt.path, resp.Header)
		}
	}
}

func TestShutdownDrainsInFlight(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	fc := &fakeCore{initialized: true, handle: func(context.Context, *logical.Request) (*logical.Response, error) {
		close(entered)
		<-release
		return &logical.Response{Data: map[string]any{"done": true}}, nil
	}}
	s, _ := newTestServer(t, fc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	url := "http://" + ln.Addr().String() + "/v1/secret/data/slow"

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{status: resp.StatusCode, body: string(b), err: err}
	}()
	<-entered

	shutdownDone := make(chan error, 1)
	go func() { shutdownDone <- s.Shutdown(context.Background()) }()

	// Shutdown waits for the request; new connections are refused meanwhile.
	deadline := time.Now().Add(2 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 100*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections during shutdown")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-shutdownDone:
		t.Fatalf("Shutdown returned (%v) with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}

	close(release)
	r := <-got
	if r.err != nil || r.status != 200 || !strings.Contains(r.body, `"done":true`) {
		t.Fatalf("in-flight request: %+v", r)
	}
	if err := <-shutdownDone; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after Shutdown = %v, want nil", err)
	}
}

func TestShutdownDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	entered := make(chan struct{})
	fc := &fakeCore{initialized: true, handle: func(context.Context, *logical.Request) (*logical.Response, error) {
		close(entered)
		<-release
		return nil, nil
	}}
	s, _ := newTestServer(t, fc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/v1/x"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown past its deadline = %v, want DeadlineExceeded", err)
	}
}

func TestListenAndServe(t *testing.T) {
	s, _ := newTestServer(t, &fakeCore{initialized: true}, func(c *Config) { c.Address = "127.0.0.1:0" })
	if s.Addr() != nil {
		t.Fatalf("Addr() before Listen = %v", s.Addr())
	}
	ln, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr() == nil || s.Addr().String() != ln.Addr().String() {
		t.Fatalf("Addr() = %v, want %v", s.Addr(), ln.Addr())
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/v1/sys/leader")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	bad, _ := newTestServer(t, &fakeCore{}, func(c *Config) { c.Address = "256.0.0.1:99999" })
	if err := bad.ListenAndServe(); err == nil || !strings.Contains(err.Error(), "listening on") {
		t.Fatalf("ListenAndServe on a bad address = %v", err)
	}
}
