package jwt

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// TestConfigRefused: every configuration that cannot work is a 400 and
// nothing is stored.
func TestConfigRefused(t *testing.T) {
	key := rsaKey(t, "k1")
	is := newIssuer(t, key)
	closed := httptest.NewTLSServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	// A discovery document naming another issuer.
	liar := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"issuer":"https://elsewhere.example","jwks_uri":"` + is.srv.URL + `/jwks"}`))
	}))
	defer liar.Close()
	liarCA := (&issuer{srv: liar}).caPEM()

	cases := []struct {
		name string
		data map[string]any
		want string
	}{
		{"no key source", map[string]any{"bound_issuer": "x"}, "exactly one of"},
		{"two key sources", map[string]any{"jwks_url": is.srv.URL + "/jwks", "jwks_ca_pem": is.caPEM(), "jwt_validation_pubkeys": key.pemOf(t)}, "exactly one of"},
		{"three key sources", map[string]any{"jwks_url": is.srv.URL + "/jwks", "oidc_discovery_url": is.srv.URL, "jwt_validation_pubkeys": key.pemOf(t)}, "exactly one of"},
		{"unreachable discovery URL", map[string]any{"oidc_discovery_url": closedURL, "oidc_discovery_ca_pem": is.caPEM()}, "error checking oidc discovery URL"},
		{"discovery without its CA", map[string]any{"oidc_discovery_url": is.srv.URL}, "error checking oidc discovery URL"},
		{"discovery names another issuer", map[string]any{"oidc_discovery_url": liar.URL, "oidc_discovery_ca_pem": liarCA}, "issuer did not match"},
		{"JWKS URL answers 404", map[string]any{"jwks_url": is.srv.URL + "/nothing", "jwks_ca_pem": is.caPEM()}, "error checking jwks URL"},
		{"JWKS URL is not a JWKS", map[string]any{"jwks_url": is.srv.URL + "/.well-known/openid-configuration", "jwks_ca_pem": is.caPEM()}, "no usable public signing keys"},
		{"CA that is not PEM", map[string]any{"jwks_url": is.srv.URL + "/jwks", "jwks_ca_pem": "not a cert"}, "could not parse CA PEM"},
		{"CA without URL", map[string]any{"jwks_ca_pem": is.caPEM(), "jwt_validation_pubkeys": key.pemOf(t)}, "'jwks_ca_pem' is set"},
		{"not a URL", map[string]any{"jwks_url": "ftp://x/jwks"}, "invalid jwks_url"},
		{"bad public key", map[string]any{"jwt_validation_pubkeys": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}, "error parsing public key"},
		{"HMAC algorithm", map[string]any{"jwt_validation_pubkeys": key.pemOf(t), "jwt_supported_algs": "HS256"}, "invalid jwt_supported_algs"},
		{"none algorithm", map[string]any{"jwt_validation_pubkeys": key.pemOf(t), "jwt_supported_algs": "none"}, "invalid jwt_supported_algs"},
		{"client id without secret", map[string]any{"oidc_discovery_url": is.srv.URL, "oidc_discovery_ca_pem": is.caPEM(), "oidc_client_id": "x"}, "both 'oidc_client_id'"},
		{"jwks_pairs", map[string]any{"jwks_pairs": "[]", "jwt_validation_pubkeys": key.pemOf(t)}, "'jwks_pairs' is not supported"},
		{"bad field type", map[string]any{"jwt_validation_pubkeys": key.pemOf(t), "namespace_in_state": "maybe"}, "namespace_in_state"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newTestEnv(t, Options{FetchTimeout: 5 * time.Second})
			_, err := e.do(logical.UpdateOperation, "config", c.data)
			wantStatus(t, err, http.StatusBadRequest, c.want)
			if resp := e.mustDo(t, logical.ReadOperation, "config", nil); resp != nil {
				t.Fatalf("refused config was stored: %v", resp.Data)
			}
			if e.b.keys != nil {
				t.Fatal("refused config left a key cache")
			}
		})
	}
}

// TestConfigFetchTimeout: a JWKS URL that never answers is refused once
// FetchTimeout passes, instead of holding the write forever.
func TestConfigFetchTimeout(t *testing.T) {
	is := newIssuer(t, rsaKey(t, "k1"))
	is.hang.Store(true)
	e := newTestEnv(t, Options{FetchTimeout: 300 * time.Millisecond})
	_, err := e.do(logical.UpdateOperation, "config", map[string]any{"jwks_url": is.srv.URL + "/jwks", "jwks_ca_pem": is.caPEM()})
	wantStatus(t, err, http.StatusBadRequest, "error checking jwks URL")
}

// TestConfigReadBack: a good configuration is stored, its keys fetched
// once at write time, and a read gives Vault's fields without the client
// secret.
func TestConfigReadBack(t *testing.T) {
	is := newIssuer(t, rsaKey(t, "k1"))
	e := newTestEnv(t, Options{})
	e.mustDo(t, logical.UpdateOperation, "config", map[string]any{
		"oidc_discovery_url":    is.srv.URL,
		"oidc_discovery_ca_pem": is.caPEM(),
		"oidc_client_id":        "vaultd",
		"oidc_client_secret":    "s3cret",
		"bound_issuer":          is.srv.URL,
		"default_role":          "CI",
		"jwt_supported_algs":    "RS256,ES256",
	})
	if n := is.fetches.Load(); n != 1 {
		t.Fatalf("config write fetched the JWKS %d times, want 1", n)
	}
	d := e.mustDo(t, logical.ReadOperation, "config", nil).Data
	if d["oidc_discovery_url"] != is.srv.URL || d["bound_issuer"] != is.srv.URL || d["default_role"] != "ci" ||
		d["oidc_client_id"] != "vaultd" || d["namespace_in_state"] != true {
		t.Fatalf("config read: %v", d)
	}
	if algs := d["jwt_supported_algs"].([]string); len(algs) != 2 || algs[0] != "RS256" || algs[1] != "ES256" {
		t.Fatalf("jwt_supported_algs: %v", algs)
	}
	if _, leaked := d["oidc_client_secret"]; leaked {
		t.Fatal("config read returned the client secret")
	}
}
