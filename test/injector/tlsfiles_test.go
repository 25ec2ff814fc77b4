package injector

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vaultd/vaultd/test/proc"
)

// TestInjectorTLSFiles: with -tls-cert-file and -tls-key-file (a
// certificate from the operator's own CA, which the operator puts in the
// caBundle) the injector needs no API access at all, and pods are
// injected.
func TestInjectorTLSFiles(t *testing.T) {
	c := cluster.Get(t)
	dir := t.TempDir()
	caPEM, certFile, keyFile := operatorCert(t, dir)
	addr := proc.FreeAddr(t)
	url := "https://" + addr + "/mutate"
	registerWebhook(t, c, url)
	api := c.Clientset.AdmissionregistrationV1().MutatingWebhookConfigurations()
	cfg, err := api.Get(t.Context(), webhookName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Webhooks[0].ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caPEM}
	if _, err := api.Update(t.Context(), cfg, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := proc.Start(t, vaultd.Path(t), proc.Options{}, "injector", "-listen="+addr,
		"-tls-cert-file="+certFile, "-tls-key-file="+keyFile, "-vault-address=http://127.0.0.1:8200")
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	r := &running{c: c, proc: p, url: "https://" + addr, ca: pool}
	waitReady(t, r)
	waitEffective(t, r)
	got, err := createPod(t, c, "default", walkthroughPod(t, "tls-files-", nil))
	if err != nil {
		t.Fatal(err)
	}
	checkInjected(t, got)
}

// operatorCert makes a CA and a serving certificate for 127.0.0.1, as an
// operator (or cert-manager) would, and writes the pair to files.
func operatorCert(t *testing.T, dir string) (caPEM []byte, certFile, keyFile string) {
	t.Helper()
	now := time.Now()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "operator CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "injector"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	for f, b := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(f, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), certFile, keyFile
}
