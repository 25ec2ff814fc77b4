package agent_test

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
	"strings"
	"testing"
	"time"
)

// writeSelfSigned writes a self-signed server certificate for 127.0.0.1
// and its key; the certificate is also the CA that verifies it.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err, "key")
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "vaultd agent test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"vaultd.vaultd.svc"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err, "certificate")
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	must(t, err, "marshal key")
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	must(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600), "write cert")
	must(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600), "write key")
	return certFile, keyFile
}

// TestAgentTLS: the issue's config as written, https with vault.ca_cert,
// against a vaultd serving TLS; without the CA the login fails, clearly,
// and nothing is written; tls_server_name picks the name verified.
func TestAgentTLS(t *testing.T) {
	cert, key := writeSelfSigned(t, t.TempDir())
	v := startVaultdChild(t, cert, key)
	p := setupWalkthrough(t, v.client(), "1h", "")
	withCA := strings.Replace(p.issueConfig(v.url(), "exit_after_auth = true"),
		"retry { num_retries = 2 }", "retry { num_retries = 2 }\n  ca_cert = \""+cert+"\"", 1)
	code, a := runInit(t, nil, "-config="+p.writeConfig(t, "agent.hcl", withCA))
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, a.Out)
	}
	if got := readFile(t, p.dest()); got != rendered("supersecret-from-vault") {
		t.Fatalf("rendered %q", got)
	}

	// The same through VAULT_CACERT and -tls-server-name (the name in the
	// certificate, as with a service name in Kubernetes).
	q := &pod{namespace: p.namespace, jwtFile: p.jwtFile, dir: t.TempDir()}
	code, a = runInit(t, agentEnv(t, "VAULT_CACERT="+cert), "-tls-server-name=vaultd.vaultd.svc",
		"-config="+q.writeConfig(t, "agent.hcl", q.issueConfig(v.url(), "exit_after_auth = true")))
	if code != 0 {
		t.Fatalf("VAULT_CACERT: exit %d:\n%s", code, a.Out)
	}

	// Without the CA: refused, one line, nothing written.
	r := &pod{namespace: p.namespace, jwtFile: p.jwtFile, dir: t.TempDir()}
	code, a = runInit(t, nil, "-config="+r.writeConfig(t, "agent.hcl", r.issueConfig(v.url(), "exit_after_auth = true")))
	line := lastLine(a.Out.String())
	if code != 1 || !strings.Contains(line, "login with auth/kubernetes failed") || !strings.Contains(line, "certificate") {
		t.Fatalf("exit %d, last line %q", code, line)
	}
	for _, path := range []string{r.dest(), r.sink()} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("%s written without a trusted server (%v)", path, err)
		}
	}
}
