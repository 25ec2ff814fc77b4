package injector

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestGeneratedBundle(t *testing.T) {
	now := time.Now()
	hosts := []string{"vaultd-injector", "vaultd-injector.vaultd.svc", "127.0.0.1"}
	b, err := generateBundle(hosts, now)
	if err != nil {
		t.Fatal(err)
	}
	if !b.usable(hosts, now) {
		t.Fatal("a fresh bundle is not usable")
	}
	if b.usable([]string{"other.example.com"}, now) {
		t.Error("usable for a host it does not name")
	}
	if b.usable(hosts, now.Add(certLifetime-renewBefore/2)) {
		t.Error("usable within renewBefore of its end")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b.CA) {
		t.Fatal("CA is not PEM")
	}
	block, _ := pem.Decode(b.Cert)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: h, Roots: pool}); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
}

// TestFileCertReloads: a renewed pair on disk is served without a restart;
// a half-written one keeps the old pair.
func TestFileCertReloads(t *testing.T) {
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	write := func(b *bundle, at time.Time) {
		for f, data := range map[string][]byte{cf: b.Cert, kf: b.Key} {
			if err := os.WriteFile(f, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(f, at, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	b1, _ := generateBundle([]string{"one"}, time.Now())
	b2, _ := generateBundle([]string{"two"}, time.Now())
	write(b1, time.Unix(1000, 0))
	fc := &fileCert{certFile: cf, keyFile: kf}
	first, err := fc.load()
	if err != nil {
		t.Fatal(err)
	}
	write(b2, time.Unix(2000, 0))
	second, _ := fc.load()
	if string(second.Certificate[0]) == string(first.Certificate[0]) {
		t.Fatal("the renewed certificate was not loaded")
	}
	if err := os.WriteFile(kf, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(kf, time.Unix(3000, 0), time.Unix(3000, 0))
	third, err := fc.load()
	if err != nil || string(third.Certificate[0]) != string(second.Certificate[0]) {
		t.Fatalf("a broken pair replaced the good one: %v", err)
	}
}

// TestServeFromFiles runs the injector's server with -tls-cert-file and
// -tls-key-file on a real listener until its context ends.
func TestServeFromFiles(t *testing.T) {
	dir := t.TempDir()
	b, err := generateBundle([]string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cf, kf := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(cf, b.Cert, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kf, b.Key, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o, err := parseOptions([]string{"-listen=" + addr, "-tls-cert-file=" + cf, "-tls-key-file=" + kf, "-vault-address=http://v:8200"},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, o, slog.New(slog.DiscardHandler)) }()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b.CA)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	var resp *http.Response
	for range 200 {
		if resp, err = client.Get("https://" + addr + "/health/ready"); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("/health/ready %d", resp.StatusCode)
	}
	// TLS below 1.2 is refused.
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get("https://" + addr + "/health/ready"); err == nil {
		t.Error("a TLS 1.1 client was served")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// verifies reports whether bundle b's leaf chains to a CA in ca for host.
func verifies(t *testing.T, b *bundle, ca []byte, host string, at time.Time) bool {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	block, _ := pem.Decode(b.Cert)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	_, err = leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: pool, CurrentTime: at})
	return err == nil
}

// TestRenewedKeepsTheOldCA: a bundle is kept while usable; near its end
// the new one's CA field trusts both the new certificate and the old, so a
// replica still serving the old one is not cut off.
func TestRenewedKeepsTheOldCA(t *testing.T) {
	now := time.Now()
	hosts := []string{"svc.ns.svc"}
	b0, fresh, err := renewed(nil, hosts, now)
	if err != nil || !fresh {
		t.Fatalf("first bundle: %v %v", fresh, err)
	}
	if b, fresh, _ := renewed(b0, hosts, now.Add(24*time.Hour)); fresh || b != b0 {
		t.Fatal("a usable bundle was replaced")
	}
	late := now.Add(certLifetime - renewBefore/2)
	b1, fresh, err := renewed(b0, hosts, late)
	if err != nil || !fresh {
		t.Fatalf("renewal: %v %v", fresh, err)
	}
	if !verifies(t, b1, b1.CA, hosts[0], late) || !verifies(t, b0, b1.CA, hosts[0], late) {
		t.Fatal("the renewed caBundle does not trust both certificates")
	}
	if b2, _, _ := renewed(b1, hosts, late.Add(time.Hour)); b2 != b1 {
		t.Fatal("the renewed bundle is not usable")
	}
	// And a bundle for other hosts is replaced at once.
	if _, fresh, _ := renewed(b0, []string{"elsewhere"}, now); !fresh {
		t.Fatal("a bundle for other hosts was kept")
	}
}
