package cluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// ServerName is the name in the cluster certificate and the one every
// member checks its peer's certificate for. Members are told apart by their
// Raft node IDs, not by names in certificates.
const ServerName = "cluster.vaultd.internal"

// TLS is the cluster's key pair: one self-signed certificate, shared by
// every member, that is its own CA. A peer is trusted when it presents it.
type TLS struct {
	CertPEM []byte `json:"cert_pem"`
	KeyPEM  []byte `json:"key_pem"`
}

// GenerateTLS makes a new cluster key pair (ECDSA P-256, ten years).
func GenerateTLS(now time.Time) (*TLS, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("cluster: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("cluster: serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: ServerName},
		DNSNames:              []string{ServerName},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("cluster: certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("cluster: marshal key: %w", err)
	}
	return &TLS{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// Marshal encodes the key pair for storage inside the barrier.
func (t *TLS) Marshal() ([]byte, error) { return json.Marshal(t) }

// UnmarshalTLS decodes what Marshal wrote.
func UnmarshalTLS(b []byte) (*TLS, error) {
	var t TLS
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("cluster: decode key pair: %w", err)
	}
	if len(t.CertPEM) == 0 || len(t.KeyPEM) == 0 {
		return nil, errors.New("cluster: key pair is incomplete")
	}
	return &t, nil
}

// configs builds the server and client sides of mutual TLS: each side
// presents the cluster certificate and accepts only a peer presenting a
// certificate signed by it.
func (t *TLS) configs() (server, client *tls.Config, err error) {
	pair, err := tls.X509KeyPair(t.CertPEM, t.KeyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("cluster: key pair: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(t.CertPEM) {
		return nil, nil, errors.New("cluster: certificate is not PEM")
	}
	server = &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		NextProtos:   []string{protoRaft, protoForward},
	}
	client = &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{pair},
		RootCAs:      pool,
		ServerName:   ServerName,
	}
	return server, client, nil
}
