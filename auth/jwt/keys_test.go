package jwt

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// TestKeyRotation: the issuer switches keys; a token signed with the new
// key (an unknown kid) makes the cache refresh and logs in; one signed
// with the removed key is then refused.
func TestKeyRotation(t *testing.T) {
	oldKey, newKey := rsaKey(t, "2026-11"), rsaKey(t, "2026-12")
	e, is := githubEnv(t, Options{}, oldKey)
	if _, err := e.login("deploy", oldKey.sign(t, githubClaims(e, "refs/heads/main"))); err != nil {
		t.Fatalf("old key before rotation: %v", err)
	}
	is.publish(newKey)
	if _, err := e.login("deploy", newKey.sign(t, githubClaims(e, "refs/heads/main"))); err != nil {
		t.Fatalf("new key after rotation: %v", err)
	}
	if n := is.fetches.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (config, unknown kid)", n)
	}
	_, err := e.login("deploy", oldKey.sign(t, githubClaims(e, "refs/heads/main")))
	wantStatus(t, err, http.StatusForbidden, "no known key successfully validated the token signature")
}

// TestUnknownKidRateLimited: tokens naming random key IDs cause at most
// one fetch per MinRefreshInterval, however many arrive.
func TestUnknownKidRateLimited(t *testing.T) {
	key := rsaKey(t, "real")
	e, is := githubEnv(t, Options{MinRefreshInterval: time.Minute}, key)
	attacker := rsaKey(t, "")
	for i := range 50 {
		attacker.kid = fmt.Sprintf("random-%d", i)
		_, err := e.login("deploy", attacker.sign(t, githubClaims(e, "refs/heads/main")))
		wantStatus(t, err, http.StatusForbidden, "no known key successfully validated the token signature")
	}
	if n := is.fetches.Load(); n != 2 {
		t.Fatalf("50 unknown kids fetched the JWKS %d times in one interval, want 2 (config + one refresh)", n)
	}
	e.clock.Advance(time.Minute)
	attacker.kid = "random-again"
	_, err := e.login("deploy", attacker.sign(t, githubClaims(e, "refs/heads/main")))
	wantStatus(t, err, http.StatusForbidden, "no known key")
	if n := is.fetches.Load(); n != 3 {
		t.Fatalf("after the interval: %d fetches, want 3", n)
	}
	// The real key still works throughout, from the cache.
	if _, err := e.login("deploy", key.sign(t, githubClaims(e, "refs/heads/main"))); err != nil {
		t.Fatal(err)
	}
	if n := is.fetches.Load(); n != 3 {
		t.Fatalf("a login with a known kid fetched: %d", n)
	}
}

// TestNoFetchPerLogin: with the keys cached, logins make no network call.
func TestNoFetchPerLogin(t *testing.T) {
	key := rsaKey(t, "k")
	e, is := githubEnv(t, Options{}, key)
	tok := key.sign(t, githubClaims(e, "refs/heads/main"))
	for range 100 {
		if _, err := e.login("deploy", tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := is.fetches.Load(); n != 1 {
		t.Fatalf("100 logins: %d JWKS fetches, want only the config's", n)
	}
}

// TestScheduledRefresh: keys older than RefreshInterval are fetched again
// in the background, and a key published meanwhile is then known without
// the unknown-kid path.
func TestScheduledRefresh(t *testing.T) {
	k1, k2 := rsaKey(t, "k1"), rsaKey(t, "k2")
	e, is := githubEnv(t, Options{RefreshInterval: time.Hour}, k1)
	is.publish(k1, k2)
	e.clock.Advance(59 * time.Minute)
	if _, err := e.login("deploy", k1.sign(t, githubClaims(e, "refs/heads/main"))); err != nil {
		t.Fatal(err)
	}
	e.b.wg.Wait()
	if n := is.fetches.Load(); n != 1 {
		t.Fatalf("refreshed before the interval: %d fetches", n)
	}
	e.clock.Advance(2 * time.Minute)
	if _, err := e.login("deploy", k1.sign(t, githubClaims(e, "refs/heads/main"))); err != nil {
		t.Fatal(err)
	}
	e.b.wg.Wait()
	if n := is.fetches.Load(); n != 2 {
		t.Fatalf("after the interval: %d fetches, want 2", n)
	}
	if _, err := e.login("deploy", k2.sign(t, githubClaims(e, "refs/heads/main"))); err != nil {
		t.Fatalf("key published before the scheduled refresh: %v", err)
	}
	if n := is.fetches.Load(); n != 2 {
		t.Fatalf("the new key needed another fetch: %d", n)
	}
}

// TestRefreshFailureKeepsKeys: an issuer that goes away does not take the
// cached keys with it.
func TestRefreshFailureKeepsKeys(t *testing.T) {
	key := rsaKey(t, "k")
	e, is := githubEnv(t, Options{RefreshInterval: time.Minute}, key)
	is.srv.Close()
	e.clock.Advance(2 * time.Minute)
	for range 3 {
		if _, err := e.login("deploy", key.sign(t, githubClaims(e, "refs/heads/main"))); err != nil {
			t.Fatalf("cached key refused while the issuer is down: %v", err)
		}
		e.b.wg.Wait()
	}
}

// TestDiscoveryAndStaticKeys: keys found through OIDC discovery, and PEM
// keys configured offline (ES256, EdDSA), each log in; the algorithms a
// configuration allows are enforced.
func TestDiscoveryAndStaticKeys(t *testing.T) {
	rs := rsaKey(t, "rs")
	is := newIssuer(t, rs)
	e := newTestEnv(t, Options{})
	e.mustDo(t, logical.UpdateOperation, "config", map[string]any{"oidc_discovery_url": is.srv.URL, "oidc_discovery_ca_pem": is.caPEM()})
	e.mustDo(t, logical.CreateOperation, "role/r", map[string]any{"role_type": "jwt", "bound_subject": "alice", "bound_audiences": "vaultd", "user_claim": "sub"})
	claims := e.claims(map[string]any{"sub": "alice", "aud": []any{"vaultd", "other"}})
	resp, err := e.login("r", rs.sign(t, claims))
	if err != nil {
		t.Fatalf("discovery login: %v", err)
	}
	if resp.Auth.Alias == nil || resp.Auth.Alias.Name != "alice" {
		t.Fatalf("alias %+v", resp.Auth.Alias)
	}
	_, err = e.login("r", rs.sign(t, e.claims(map[string]any{"sub": "bob", "aud": "vaultd"})))
	wantStatus(t, err, http.StatusForbidden, "invalid subject (sub) claim")

	ec, ed := ecKey(t, ""), edKey(t, "")
	e.mustDo(t, logical.UpdateOperation, "config", map[string]any{"jwt_validation_pubkeys": []any{ec.pemOf(t), ed.pemOf(t)}, "jwt_supported_algs": "ES256"})
	if _, err := e.login("r", ec.sign(t, claims)); err != nil {
		t.Fatalf("ES256 with a PEM key: %v", err)
	}
	_, err = e.login("r", ed.sign(t, claims))
	wantStatus(t, err, http.StatusForbidden, "invalid algorithm (alg) header parameter")
	e.mustDo(t, logical.UpdateOperation, "config", map[string]any{"jwt_validation_pubkeys": []any{ec.pemOf(t), ed.pemOf(t)}})
	if _, err := e.login("r", ed.sign(t, claims)); err != nil {
		t.Fatalf("EdDSA with a PEM key: %v", err)
	}
	_, err = e.login("r", rs.sign(t, claims))
	wantStatus(t, err, http.StatusForbidden, "no known key")
}

// TestKeysAfterRestart: a new backend on the same storage (a restart, or
// another node) fetches the keys once on its first login.
func TestKeysAfterRestart(t *testing.T) {
	key := rsaKey(t, "k")
	e, is := githubEnv(t, Options{}, key)
	b2, err := New(&logical.BackendConfig{Storage: e.storage, System: e.b.system}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Cleanup(t.Context())
	e.b = b2
	for range 3 {
		if _, err := e.login("deploy", key.sign(t, githubClaims(e, "refs/heads/main"))); err != nil {
			t.Fatal(err)
		}
	}
	if n := is.fetches.Load(); n != 2 {
		t.Fatalf("fetches %d, want 2 (config, first login after restart)", n)
	}
}
