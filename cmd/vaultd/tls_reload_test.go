package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaultd/vaultd/test/proc"
)

var tlsBinary proc.Binary

// TestSIGHUPReloadsTLSCertificates runs the real binary with a TLS
// listener: after the certificate files are replaced, SIGHUP makes new
// connections get the new certificate without a restart; when the files
// are then replaced by ones that do not load, SIGHUP keeps the certificate
// in use, logs why, and the server keeps serving.
func TestSIGHUPReloadsTLSCertificates(t *testing.T) {
	bin := tlsBinary.Path(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeCert(t, certFile, keyFile, 1001)
	addr := proc.FreeAddr(t)
	conf := filepath.Join(dir, "vaultd.hcl")
	cfg := fmt.Sprintf("storage \"inmem\" {}\nlistener \"tcp\" {\n  address = %q\n  tls_cert_file = %q\n  tls_key_file = %q\n}\ndisable_mlock = true\n", addr, certFile, keyFile)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := proc.Start(t, bin, proc.Options{}, "server", "-config="+conf)

	served := func() (int64, error) {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) // the test reads the served certificate; trust is not what it checks
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64(), nil
	}
	waitServed := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		var got int64
		var err error
		for time.Now().Before(deadline) {
			if got, err = served(); err == nil && got == want {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("served serial %d (%v), want %d\n%s", got, err, want, p.Out.String())
	}
	waitServed(1001)

	writeCert(t, certFile, keyFile, 2002)
	p.Signal(t, syscall.SIGHUP)
	waitServed(2002)

	// A broken pair: the certificate is cut short. The old one stays.
	if err := os.WriteFile(certFile, []byte("-----BEGIN CERTIFICATE-----\nnot a cert\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.Signal(t, syscall.SIGHUP)
	deadline := time.Now().Add(20 * time.Second)
	for !p.Out.Contains("TLS certificates not reloaded") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !p.Out.Contains("TLS certificates not reloaded") {
		t.Fatalf("no log line says the bad certificate was refused:\n%s", p.Out.String())
	}
	if got, err := served(); err != nil || got != 2002 {
		t.Fatalf("after a failed reload: serial %d, %v; want the old certificate 2002", got, err)
	}
	if p.Exited() {
		t.Fatalf("the server exited after a failed reload:\n%s", p.Out.String())
	}
	if strings.Contains(p.Out.String(), "BEGIN") {
		t.Fatal("the log holds certificate material")
	}
}

// writeCert writes a fresh self-signed certificate for 127.0.0.1 with the
// given serial and its key, replacing the files whole.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "vaultd-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
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
	replace := func(path string, block *pem.Block) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	replace(keyFile, &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	replace(certFile, &pem.Block{Type: "CERTIFICATE", Bytes: der})
}
