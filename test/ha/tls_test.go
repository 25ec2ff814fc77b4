//go:build unix

package ha

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vaultd/vaultd/test/proc"
)

// tlsServerName is the only name in the test API certificate: it names no
// IP, so a join that did not send leader_tls_servername would fail.
const tlsServerName = "vaultd.test"

// apiTLS is a CA and a server certificate signed by it, on disk.
type apiTLS struct {
	caFile, certFile, keyFile string
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newAPITLS(t testing.TB) *apiTLS {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: tlsServerName}, DNSNames: []string{tlsServerName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	out := &apiTLS{caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "tls.crt"), keyFile: filepath.Join(dir, "tls.key")}
	writePEM(t, out.caFile, "CERTIFICATE", caDER)
	writePEM(t, out.certFile, "CERTIFICATE", der)
	writePEM(t, out.keyFile, "EC PRIVATE KEY", keyDER)
	return out
}

// TestRetryJoinOverTLS: the API serves HTTPS with a certificate that names
// only vaultd.test; the joining nodes reach the leader through retry_join
// with leader_ca_cert_file and leader_tls_servername, and the cluster forms.
func TestRetryJoinOverTLS(t *testing.T) {
	certs := newAPITLS(t)
	tc := &testCluster{t: t, bin: vaultd.Path(t)}
	for i := range 3 {
		tc.members = append(tc.members, &member{
			t: t, id: fmt.Sprintf("vaultd-%d", i), dir: t.TempDir(),
			api: proc.FreeAddr(t), cluster: proc.FreeAddr(t), tls: certs,
		})
	}
	for _, m := range tc.members {
		m.writeConfig(tc.members)
		tc.start(m)
	}
	tc.form()
	a := tc.active(10 * time.Second)
	if _, err := tc.standbys(a)[0].client(tc.root).Auth().Token().LookupSelf(); err != nil {
		t.Fatalf("a request through a standby over TLS: %v", err)
	}
}
