package jwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/test/testclock"
)

// signingKey is one of a test issuer's key pairs.
type signingKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv any
	pub  any
}

func rsaKey(t testing.TB, kid string) signingKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid: kid, alg: jose.RS256, priv: k, pub: &k.PublicKey}
}

func ecKey(t testing.TB, kid string) signingKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid: kid, alg: jose.ES256, priv: k, pub: &k.PublicKey}
}

func edKey(t testing.TB, kid string) signingKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid: kid, alg: jose.EdDSA, priv: priv, pub: pub}
}

// pemOf is the public half as jwt_validation_pubkeys takes it.
func (k signingKey) pemOf(t testing.TB) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// sign makes a compact JWS of claims with the key, naming its kid.
func (k signingKey) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if k.kid != "" {
		opts = opts.WithHeader("kid", k.kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := josejwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// issuer is an OIDC issuer served by the test over HTTPS: a discovery
// document at /.well-known/openid-configuration and its JWKS at /jwks,
// whose keys the test can change. It counts the JWKS fetches.
type issuer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	keys    []signingKey
	fetches atomic.Int64
	// hang, when set, makes the JWKS handler wait for the request to end.
	hang atomic.Bool
}

func newIssuer(t testing.TB, keys ...signingKey) *issuer {
	t.Helper()
	is := &issuer{keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		is.fetches.Add(1)
		if is.hang.Load() {
			<-r.Context().Done()
			return
		}
		is.mu.Lock()
		set := jose.JSONWebKeySet{}
		for _, k := range is.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.pub, KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"})
		}
		is.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(set)
	})
	is.srv = httptest.NewTLSServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) publish(keys ...signingKey) {
	is.mu.Lock()
	is.keys = keys
	is.mu.Unlock()
}

func (is *issuer) caPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: is.srv.Certificate().Raw}))
}

type testEnv struct {
	b       *Backend
	storage *logical.InmemStorage
	clock   *testclock.Clock
}

func newTestEnv(t testing.TB, opts Options) *testEnv {
	t.Helper()
	clock := testclock.New(time.Now().Truncate(time.Second))
	storage := logical.NewInmemStorage()
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

func (e *testEnv) mustDo(t testing.TB, op logical.Operation, path string, data map[string]any) *logical.Response {
	t.Helper()
	resp, err := e.do(op, path, data)
	if err != nil {
		t.Fatalf("%s %s: %v", op, path, err)
	}
	return resp
}

func (e *testEnv) login(role, token string) (*logical.Response, error) {
	return e.do(logical.UpdateOperation, "login", map[string]any{"role": role, "jwt": token})
}

// claims are a token's claims valid now, with extra ones merged in (a nil
// value removes a claim).
func (e *testEnv) claims(extra map[string]any) map[string]any {
	now := e.clock.Now()
	c := map[string]any{
		"iss": "https://issuer.example",
		"sub": "repo:octo-org/octo-repo:ref:refs/heads/main",
		"aud": "https://github.com/octo-org",
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(),
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// wantStatus checks that err is a CodedError with the given status whose
// message holds want.
func wantStatus(t testing.TB, err error, status int, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %d error (%q), got none", status, want)
	}
	var coded *logical.CodedError
	if !errors.As(err, &coded) {
		t.Fatalf("want a %d error (%q), got %T %v", status, want, err, err)
	}
	if coded.Status != status || !strings.Contains(coded.Message, want) {
		t.Fatalf("got %d %q, want %d containing %q", coded.Status, coded.Message, status, want)
	}
}
