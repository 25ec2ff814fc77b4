package authutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// TestDecodePublicKeyPEM: PKIX, PKCS #1 and certificate blocks give their
// key; no PEM, or a block that is none of these, gives nil.
func TestDecodePublicKeyPEM(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkix, err := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rsaKey.PublicKey, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(typ string, b []byte) string { return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b})) }

	if k, ok := DecodePublicKeyPEM(enc("PUBLIC KEY", pkix)).(*ecdsa.PublicKey); !ok || !k.Equal(&ecKey.PublicKey) {
		t.Errorf("PKIX: got %T", k)
	}
	if k, ok := DecodePublicKeyPEM(enc("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey))).(*rsa.PublicKey); !ok || !k.Equal(&rsaKey.PublicKey) {
		t.Errorf("PKCS #1: got %T", k)
	}
	if k, ok := DecodePublicKeyPEM(enc("CERTIFICATE", cert)).(*rsa.PublicKey); !ok || !k.Equal(&rsaKey.PublicKey) {
		t.Errorf("certificate: got %T", k)
	}
	for name, in := range map[string]string{
		"no PEM":  "not pem",
		"garbage": enc("PUBLIC KEY", []byte("junk")),
	} {
		if k := DecodePublicKeyPEM(in); k != nil {
			t.Errorf("%s: got %T, want nil", name, k)
		}
	}
}
