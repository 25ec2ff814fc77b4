package kubernetes

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func testCAPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestConfigWriteRead(t *testing.T) {
	e := newTestEnv(t, Options{})
	ca := testCAPEM(t)
	key := newRSASigner(t, "RS256").publicPEM(t)
	const reviewer = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXZpZXdlciJ9.c2VjcmV0LXNpZ25hdHVyZQ"
	e.mustDo(t, logical.UpdateOperation, "config", map[string]any{
		"kubernetes_host":        "https://10.96.0.1:443",
		"kubernetes_ca_cert":     ca,
		"token_reviewer_jwt":     reviewer,
		"pem_keys":               []any{key},
		"issuer":                 "https://kubernetes.default.svc.cluster.local",
		"disable_iss_validation": "false",
		"disable_local_ca_jwt":   true,
	})
	resp := e.mustDo(t, logical.ReadOperation, "config", nil)
	want := map[string]any{
		"kubernetes_host":        "https://10.96.0.1:443",
		"kubernetes_ca_cert":     strings.TrimSpace(ca),
		"pem_keys":               []string{strings.TrimSpace(key)},
		"issuer":                 "https://kubernetes.default.svc.cluster.local",
		"disable_iss_validation": false,
		"disable_local_ca_jwt":   true,
		"token_reviewer_jwt_set": true,
	}
	if !reflect.DeepEqual(resp.Data, want) {
		t.Fatalf("read:\n got %v\nwant %v", resp.Data, want)
	}
	if strings.Contains(fmt.Sprint(resp.Data), "c2VjcmV0LXNpZ25hdHVyZQ") {
		t.Fatal("config read leaks the reviewer JWT")
	}

	// A write replaces the whole configuration; defaults come back.
	e.mustDo(t, logical.UpdateOperation, "config", map[string]any{"kubernetes_host": "kube.internal:6443"})
	resp = e.mustDo(t, logical.ReadOperation, "config", nil)
	if resp.Data["token_reviewer_jwt_set"] != false || resp.Data["disable_iss_validation"] != true ||
		resp.Data["disable_local_ca_jwt"] != false || resp.Data["kubernetes_ca_cert"] != "" {
		t.Fatalf("replace: %v", resp.Data)
	}
}

func TestConfigReadMissing(t *testing.T) {
	e := newTestEnv(t, Options{})
	if resp := e.mustDo(t, logical.ReadOperation, "config", nil); resp != nil {
		t.Fatalf("unconfigured read = %+v, want nil", resp)
	}
}

func TestConfigBadInput(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string]any
		wantMsg string
	}{
		{"no host", map[string]any{"kubernetes_ca_cert": ""}, "kubernetes_host"},
		{"blank host", map[string]any{"kubernetes_host": "  "}, "kubernetes_host"},
		{"host with bad scheme", map[string]any{"kubernetes_host": "ftp://kube"}, "kubernetes_host"},
		{"host with query", map[string]any{"kubernetes_host": "https://kube?x=1"}, "kubernetes_host"},
		{"CA not PEM", map[string]any{"kubernetes_host": "https://kube", "kubernetes_ca_cert": "not a certificate"}, "CA PEM"},
		{"CA PEM but not a certificate", map[string]any{"kubernetes_host": "https://kube",
			"kubernetes_ca_cert": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, "CA PEM"},
		{"pem_keys garbage", map[string]any{"kubernetes_host": "https://kube", "pem_keys": "nope"}, "pem_keys"},
		{"bool field garbage", map[string]any{"kubernetes_host": "https://kube", "disable_local_ca_jwt": "perhaps"}, "disable_local_ca_jwt"},
		{"host not a string", map[string]any{"kubernetes_host": []any{"a"}}, "kubernetes_host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, Options{})
			_, err := e.do(logical.UpdateOperation, "config", tt.data)
			wantStatus(t, err, http.StatusBadRequest)
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %q does not mention %q", err, tt.wantMsg)
			}
			if e.storage.Len() != 0 {
				t.Fatal("a refused config was written")
			}
		})
	}
}

func TestNormalizeHost(t *testing.T) {
	tests := map[string]string{
		"https://10.0.0.1:443":  "https://10.0.0.1:443",
		"https://kube/":         "https://kube",
		"kube.internal:6443":    "https://kube.internal:6443",
		"kube":                  "https://kube",
		"http://127.0.0.1:8080": "http://127.0.0.1:8080",
		"https://kube/prefix":   "https://kube/prefix",
	}
	for in, want := range tests {
		got, err := normalizeHost(in)
		if err != nil || got != want {
			t.Errorf("normalizeHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestLocalCredentials shows the pod mode: with nothing configured, the
// pod's token and CA files are used, and the token file is read again
// once the reload period has passed (the kubelet rotates it).
func TestLocalCredentials(t *testing.T) {
	dir := t.TempDir()
	tokenPath, caPath := filepath.Join(dir, "token"), filepath.Join(dir, "ca.crt")
	ca := testCAPEM(t)
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(tokenPath, "token-one\n")
	write(caPath, ca)
	e := newTestEnv(t, Options{LocalTokenPath: tokenPath, LocalCACertPath: caPath})

	c := &config{Host: "https://kube"}
	got := e.b.credentials(c)
	if got.reviewer != "token-one" || got.target.caCert != strings.TrimSpace(ca) {
		t.Fatalf("credentials = %+v", got)
	}
	write(tokenPath, "token-two")
	if got := e.b.credentials(c); got.reviewer != "token-one" {
		t.Fatalf("token re-read before the reload period: %q", got.reviewer)
	}
	e.clock.Advance(DefaultTokenReloadPeriod + time.Second)
	if got := e.b.credentials(c); got.reviewer != "token-two" {
		t.Fatalf("rotated token not picked up: %q", got.reviewer)
	}

	// Configured values win over local files.
	got = e.b.credentials(&config{Host: "https://kube", TokenReviewerJWT: "configured", CACert: "configured-ca"})
	if got.reviewer != "configured" || got.target.caCert != "configured-ca" {
		t.Fatalf("configured credentials not used: %+v", got)
	}
	// disable_local_ca_jwt keeps the local files out.
	got = e.b.credentials(&config{Host: "https://kube", DisableLocalCAJwt: true})
	if got.reviewer != "" || got.target.caCert != "" {
		t.Fatalf("local files used though disabled: %+v", got)
	}
	// Outside a pod: no files, so the client's JWT reviews itself.
	out := newTestEnv(t, Options{})
	if got := out.b.credentials(c); got.reviewer != "" || got.target.caCert != "" {
		t.Fatalf("credentials without files = %+v", got)
	}
}
