package injector

import (
	"bytes"
	"context"
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
	"net"
	"os"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// bundle is a CA and a serving certificate it signed, PEM.
type bundle struct {
	CA, Cert, Key []byte
}

// certLifetime is how long a generated serving certificate lasts; the
// injector replaces one within renewBefore of its end when it starts.
const (
	caLifetime   = 10 * 365 * 24 * time.Hour
	certLifetime = 365 * 24 * time.Hour
	renewBefore  = 30 * 24 * time.Hour
)

// generateBundle makes a new CA and a serving certificate for hosts (DNS
// names or IP addresses).
func generateBundle(hosts []string, now time.Time) (*bundle, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("injector: CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "vaultd injector CA"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(caLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("injector: CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("injector: CA certificate: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("injector: serving key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(certLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("injector: serving certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("injector: serving key: %w", err)
	}
	return &bundle{
		CA:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Key:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

// usable reports whether b's certificate chains to its CA, covers hosts
// and lives on past renewBefore.
func (b *bundle) usable(hosts []string, now time.Time) bool {
	pair, err := tls.X509KeyPair(b.Cert, b.Key)
	if err != nil {
		return false
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || now.Add(renewBefore).After(leaf.NotAfter) {
		return false
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b.CA) {
		return false
	}
	for _, h := range hosts {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: h, Roots: pool, CurrentTime: now}); err != nil {
			return false
		}
	}
	return true
}

// renewed is b while it is usable; otherwise a new bundle whose CA field
// holds the new CA followed by b's own, so that the caBundle still trusts
// a replica serving b's certificate until it picks up the new one.
func renewed(b *bundle, hosts []string, now time.Time) (*bundle, bool, error) {
	if b != nil && b.usable(hosts, now) {
		return b, false, nil
	}
	nb, err := generateBundle(hosts, now)
	if err != nil {
		return nil, false, err
	}
	if b != nil {
		if block, _ := pem.Decode(b.CA); block != nil {
			if old, err := x509.ParseCertificate(block.Bytes); err == nil && now.Before(old.NotAfter) {
				nb.CA = append(nb.CA, pem.EncodeToMemory(block)...)
			}
		}
	}
	return nb, true, nil
}

// certStore holds the bundle being served; the refresh swaps it.
type certStore struct {
	mu   sync.RWMutex
	b    *bundle
	pair *tls.Certificate
}

func (s *certStore) set(b *bundle) error {
	pair, err := tls.X509KeyPair(b.Cert, b.Key)
	if err != nil {
		return fmt.Errorf("injector: key pair: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b, s.pair = b, &pair
	return nil
}

func (s *certStore) get() (*tls.Certificate, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.pair == nil {
		return nil, errors.New("injector: no certificate yet")
	}
	return s.pair, nil
}

func (s *certStore) current() *bundle {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.b
}

// ca is the CA bundle to write into the webhook configuration.
func (s *certStore) ca() []byte {
	if b := s.current(); b != nil {
		return b.CA
	}
	return nil
}

// Secret keys of a shared bundle.
const (
	secretCA   = "ca.crt"
	secretCert = corev1.TLSCertKey
	secretKey  = corev1.TLSPrivateKeyKey
)

// sharedBundle gives every replica the same CA, so that replicas do not
// overwrite each other's caBundle: the first to start stores its bundle in
// a Secret and the others read it.
func sharedBundle(ctx context.Context, cs kubernetes.Interface, namespace, name string, hosts []string, now time.Time) (*bundle, error) {
	secrets := cs.CoreV1().Secrets(namespace)
	for range 5 {
		s, err := secrets.Get(ctx, name, metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("injector: read secret %s/%s: %w", namespace, name, err)
		}
		var have *bundle
		if err == nil {
			have = &bundle{CA: s.Data[secretCA], Cert: s.Data[secretCert], Key: s.Data[secretKey]}
		}
		b, fresh, genErr := renewed(have, hosts, now)
		if genErr != nil {
			return nil, genErr
		}
		if !fresh {
			return b, nil
		}
		data := map[string][]byte{secretCA: b.CA, secretCert: b.Cert, secretKey: b.Key}
		if apierrors.IsNotFound(err) {
			_, err = secrets.Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
				Type:       corev1.SecretTypeTLS,
				Data:       data,
			}, metav1.CreateOptions{})
		} else {
			s.Data, s.Type = data, corev1.SecretTypeTLS
			_, err = secrets.Update(ctx, s, metav1.UpdateOptions{})
		}
		switch {
		case err == nil:
			return b, nil
		case apierrors.IsAlreadyExists(err), apierrors.IsConflict(err):
			continue // another replica won the race: read its bundle
		default:
			return nil, fmt.Errorf("injector: store secret %s/%s: %w", namespace, name, err)
		}
	}
	return nil, fmt.Errorf("injector: secret %s/%s keeps changing under us", namespace, name)
}

// patchCABundle writes ca into every webhook of the named
// MutatingWebhookConfiguration whose caBundle differs. It reports whether
// it changed anything and the configuration's resource version after.
func patchCABundle(ctx context.Context, cs kubernetes.Interface, name string, ca []byte) (bool, string, error) {
	api := cs.AdmissionregistrationV1().MutatingWebhookConfigurations()
	cfg, err := api.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return false, "", fmt.Errorf("injector: read MutatingWebhookConfiguration %s: %w", name, err)
	}
	var ops []patchOp
	for i, wh := range cfg.Webhooks {
		if !bytes.Equal(wh.ClientConfig.CABundle, ca) {
			ops = append(ops, patchOp{Op: "add", Path: fmt.Sprintf("/webhooks/%d/clientConfig/caBundle", i), Value: ca})
		}
	}
	if len(ops) == 0 {
		return false, cfg.ResourceVersion, nil
	}
	// Guard against the list changing between the read and the patch.
	ops = append([]patchOp{{Op: "test", Path: "/metadata/resourceVersion", Value: cfg.ResourceVersion}}, ops...)
	body, err := json.Marshal(ops)
	if err != nil {
		return false, "", fmt.Errorf("injector: %w", err)
	}
	patched, err := api.Patch(ctx, name, types.JSONPatchType, body, metav1.PatchOptions{})
	if err != nil {
		return false, "", fmt.Errorf("injector: patch caBundle of %s: %w", name, err)
	}
	return true, patched.ResourceVersion, nil
}

// fileCert serves a certificate and key from files, reading them again
// when either file changes (cert-manager renews them in place).
type fileCert struct {
	certFile, keyFile string

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime [2]time.Time
}

func (f *fileCert) load() (*tls.Certificate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var mt [2]time.Time
	for i, p := range []string{f.certFile, f.keyFile} {
		st, err := os.Stat(p)
		if err != nil {
			if f.cert != nil {
				return f.cert, nil // mid-rotation: keep serving the old pair
			}
			return nil, fmt.Errorf("injector: TLS file: %w", err)
		}
		mt[i] = st.ModTime()
	}
	if f.cert != nil && mt == f.modTime {
		return f.cert, nil
	}
	pair, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
	if err != nil {
		if f.cert != nil {
			return f.cert, nil
		}
		return nil, fmt.Errorf("injector: TLS key pair: %w", err)
	}
	f.cert, f.modTime = &pair, mt
	return f.cert, nil
}

// tlsConfig is the webhook's server TLS configuration around a source of
// certificates.
func tlsConfig(minVersion uint16, get func() (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{
		MinVersion: minVersion,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return get()
		},
	}
}

// parseTLSVersion reads -tls-min-version.
func parseTLSVersion(s string) (uint16, error) {
	switch s {
	case "tls12":
		return tls.VersionTLS12, nil
	case "tls13":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("unsupported -tls-min-version %q: want tls12 or tls13", s)
}

var errNoHosts = errors.New("-tls-auto needs -tls-auto-hosts: the Service's DNS names for the certificate")
