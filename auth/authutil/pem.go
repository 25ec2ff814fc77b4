package authutil

import (
	"crypto/x509"
	"encoding/pem"
)

// DecodePublicKeyPEM returns the public key in the first PEM block of p: a
// PKIX public key, a certificate's key, or a PKCS #1 RSA key, in that
// order; nil when there is none. Each method then admits the key types it
// supports, with its own error.
func DecodePublicKeyPEM(p string) any {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return nil
	}
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		return k
	}
	if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
		return cert.PublicKey
	}
	if k, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		return k
	}
	return nil
}
