package certs

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
)

// TestWriteVerifies: the serving certificate loads as a key pair and
// verifies against the CA for 127.0.0.1 and the names asked for, and not
// for another name.
func TestWriteVerifies(t *testing.T) {
	f := Write(t, t.TempDir(), "vaultd.vaultd.svc")
	if _, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(f.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"127.0.0.1": true, "vaultd.vaultd.svc": true, "other.example": false} {
		_, err := cert.Verify(x509.VerifyOptions{Roots: f.Pool(), DNSName: name})
		if (err == nil) != want {
			t.Errorf("%s: verify error %v, want ok=%v", name, err, want)
		}
	}
}
