package kubernetes

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/test/testclock"
)

// testClock is a settable clock.
type testClock = testclock.Clock

type testEnv struct {
	b       *Backend
	storage *logical.InmemStorage
	clock   *testClock
}

func newTestEnv(t *testing.T, opts Options) *testEnv {
	t.Helper()
	clock := testclock.New(time.Now())
	storage := logical.NewInmemStorage()
	if opts.LocalTokenPath == "" {
		opts.LocalTokenPath = t.TempDir() + "/no-token"
	}
	if opts.LocalCACertPath == "" {
		opts.LocalCACertPath = t.TempDir() + "/no-ca"
	}
	b, err := New(&logical.BackendConfig{
		Storage: storage,
		System:  logical.StaticSystemView{DefaultTTL: 768 * time.Hour, MaxTTL: 768 * time.Hour, Clock: clock.Now},
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Cleanup(context.Background()) })
	return &testEnv{b: b, storage: storage, clock: clock}
}

func (e *testEnv) do(op logical.Operation, path string, data map[string]any) (*logical.Response, error) {
	return e.b.HandleRequest(context.Background(), &logical.Request{
		Operation:  op,
		Path:       path,
		Data:       data,
		Storage:    e.storage,
		RemoteAddr: "127.0.0.1",
	})
}

func (e *testEnv) mustDo(t *testing.T, op logical.Operation, path string, data map[string]any) *logical.Response {
	t.Helper()
	resp, err := e.do(op, path, data)
	if err != nil {
		t.Fatalf("%s %s: %v", op, path, err)
	}
	return resp
}

// wantStatus checks that err is a CodedError with the given status.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %d error, got none", status)
	}
	var coded *logical.CodedError
	if !errors.As(err, &coded) {
		if status == http.StatusInternalServerError {
			return
		}
		t.Fatalf("want a %d, got uncoded error %v", status, err)
	}
	if coded.Status != status {
		t.Fatalf("want %d, got %d: %v", status, coded.Status, err)
	}
}

// signer makes JWTs for tests.
type signer struct {
	alg string
	key crypto.Signer
}

func newRSASigner(t testing.TB, alg string) *signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{alg: alg, key: k}
}

func newECSigner(t testing.TB) *signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{alg: "ES256", key: k}
}

func (s *signer) publicPEM(t testing.TB) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(s.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func (s *signer) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": s.alg, "typ": "JWT"})
	p, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	sum := sha256.Sum256([]byte(input))
	var sig []byte
	switch k := s.key.(type) {
	case *rsa.PrivateKey:
		if s.alg == "PS256" {
			sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, sum[:], nil)
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
		}
	case *ecdsa.PrivateKey:
		r, sv, e := ecdsa.Sign(rand.Reader, k, sum[:])
		if e != nil {
			t.Fatal(e)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		sv.FillBytes(sig[32:])
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + enc.EncodeToString(sig)
}

// podClaims are the claims of a projected service-account token.
func podClaims(now time.Time, ns, name, uid string, aud ...string) map[string]any {
	if len(aud) == 0 {
		aud = []string{"https://kubernetes.default.svc.cluster.local"}
	}
	return map[string]any{
		"iss": "https://kubernetes.default.svc.cluster.local",
		"sub": "system:serviceaccount:" + ns + ":" + name,
		"aud": aud,
		"exp": now.Add(time.Hour).Unix(),
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"kubernetes.io": map[string]any{
			"namespace":      ns,
			"serviceaccount": map[string]any{"name": name, "uid": uid},
			"pod":            map[string]any{"name": "my-api-7d9f", "uid": "0f7c"},
		},
	}
}

// walkthroughRole is the role from the walkthrough article.
var walkthroughRole = map[string]any{
	"bound_service_account_names":      "default",
	"bound_service_account_namespaces": "default",
	"policies":                         "my-api-policy",
	"ttl":                              "1h",
}
