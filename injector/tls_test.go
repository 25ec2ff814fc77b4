package injector

import (
	"crypto/x509"
	"encoding/pem"
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
