package jwt

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/vaultd/vaultd/auth/authutil"
)

// maxDocumentSize bounds a discovery document or JWKS read from an issuer.
const maxDocumentSize = 1 << 20

// keySource is where a configuration's keys come from: exactly one of
// discoveryURL, jwksURL and static.
type keySource struct {
	discoveryURL string
	jwksURL      string
	caPEM        string
	static       []string
}

func (s keySource) remote() bool { return s.discoveryURL != "" || s.jwksURL != "" }

// id identifies the source, so that the cache built for one configuration
// is never used for another.
func (s keySource) id() string {
	h := sha256.New()
	for _, part := range append([]string{s.discoveryURL, s.jwksURL, s.caPEM}, s.static...) {
		fmt.Fprintf(h, "%d:%s;", len(part), part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// keyCache holds one configuration's verification keys.
type keyCache struct {
	id     string
	src    keySource
	client *http.Client

	// fetchMu lets one fetch run at a time.
	fetchMu sync.Mutex

	// mu guards the fields below.
	mu         sync.Mutex
	keys       []jose.JSONWebKey
	generation uint64    // counts successful fetches
	fetchedAt  time.Time // last successful fetch
	lastTry    time.Time // last fetch attempt of any kind
	lastForced time.Time // last fetch caused by an unknown key, for the rate limit
	refreshing bool      // a background refresh is running
}

// newKeyCache builds the cache for a source; static keys are parsed here,
// remote ones are fetched by fetch.
func newKeyCache(src keySource, timeout time.Duration) (*keyCache, error) {
	c := &keyCache{id: src.id(), src: src}
	if !src.remote() {
		for i, p := range src.static {
			key, err := parsePublicKeyPEM(p)
			if err != nil {
				return nil, fmt.Errorf("error parsing public key %d: %w", i+1, err)
			}
			c.keys = append(c.keys, jose.JSONWebKey{Key: key})
		}
		return c, nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if src.caPEM != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(src.caPEM)) {
			return nil, errors.New("could not parse CA PEM value successfully")
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	c.client = &http.Client{
		Transport: tr,
		Timeout:   timeout,
		// An issuer's keys are not fetched through redirects to elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// snapshot returns the keys a token with key ID kid may be checked
// against (all of them when kid is empty or no key carries IDs) and the
// generation they belong to.
func (c *keyCache) snapshot(kid string) ([]jose.JSONWebKey, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if kid == "" {
		return c.keys, c.generation
	}
	var out []jose.JSONWebKey
	for _, k := range c.keys {
		if k.KeyID == kid || k.KeyID == "" {
			out = append(out, k)
		}
	}
	return out, c.generation
}

// fetch reads the remote keys and, on success, replaces the cached ones.
// A failure keeps the old keys. The caller holds fetchMu.
func (c *keyCache) fetch(ctx context.Context, now time.Time, timeout time.Duration) error {
	c.mu.Lock()
	c.lastTry = now
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	jwksURL := c.src.jwksURL
	if c.src.discoveryURL != "" {
		u, err := c.discover(ctx)
		if err != nil {
			return err
		}
		jwksURL = u
	}
	body, err := c.get(ctx, jwksURL)
	if err != nil {
		return fmt.Errorf("fetching keys: %w", err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return fmt.Errorf("keys at %s: %w", jwksURL, err)
	}
	c.mu.Lock()
	c.keys, c.fetchedAt = keys, now
	c.generation++
	c.mu.Unlock()
	return nil
}

// discover reads the discovery document, checks that it names the
// configured URL as its issuer, and returns its JWKS URL.
func (c *keyCache) discover(ctx context.Context) (string, error) {
	issuer := c.src.discoveryURL
	body, err := c.get(ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration")
	if err != nil {
		return "", fmt.Errorf("fetching discovery document: %w", err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("failed to decode OIDC discovery document: %w", err)
	}
	if doc.Issuer != issuer {
		return "", fmt.Errorf("issuer did not match the returned issuer, expected %q got %q", issuer, doc.Issuer)
	}
	if doc.JWKSURI == "" {
		return "", errors.New("discovery document names no jwks_uri")
	}
	return doc.JWKSURI, nil
}

func (c *keyCache) get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	// The API server answers its JWKS only as application/jwk-set+json.
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	if len(body) > maxDocumentSize {
		return nil, fmt.Errorf("%s: document larger than %d bytes", url, maxDocumentSize)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return body, nil
}

// parseJWKS reads a JWKS, keeping the public signing keys it can use and
// skipping the rest (encryption keys, symmetric keys, unknown types).
func parseJWKS(body []byte) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("not a JWKS: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil || k.Use == "enc" {
			continue
		}
		if !k.IsPublic() {
			k = k.Public()
		}
		if !k.Valid() || !k.IsPublic() {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no usable public signing keys")
	}
	return keys, nil
}

// parsePublicKeyPEM reads a PEM public key (PKIX or PKCS #1) or
// certificate: RSA, ECDSA or Ed25519.
func parsePublicKeyPEM(p string) (crypto.PublicKey, error) {
	errNoKey := errors.New("data does not contain any valid RSA, ECDSA or Ed25519 public keys")
	switch k := authutil.DecodePublicKeyPEM(p).(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return k, nil
	}
	return nil, errNoKey
}

// keysFor returns the cache for a configuration, building (and, for remote
// keys, fetching) it when the backend holds none for it: after a restart,
// or when another node wrote the configuration.
func (b *Backend) keysFor(ctx context.Context, conf *config) (*keyCache, error) {
	src := conf.source()
	id := src.id()
	b.keysMu.Lock()
	defer b.keysMu.Unlock()
	if b.keys != nil && b.keys.id == id {
		return b.keys, nil
	}
	c, err := newKeyCache(src, b.opts.FetchTimeout)
	if err != nil {
		return nil, fmt.Errorf("jwt auth: stored configuration: %w", err)
	}
	if src.remote() {
		c.fetchMu.Lock()
		err := c.fetch(ctx, b.system.Now(), b.opts.FetchTimeout)
		c.fetchMu.Unlock()
		b.observeFetch(src, err)
		if err != nil {
			// Kept, empty: the rate limit then spaces out further attempts.
			b.logger.Warn("jwt auth: fetching the issuer's keys failed", "error", err)
		}
	}
	b.keys = c
	return c, nil
}

// install makes c the cache of the configuration just written.
func (b *Backend) install(c *keyCache) {
	b.keysMu.Lock()
	b.keys = c
	b.keysMu.Unlock()
}

func (b *Backend) observeFetch(src keySource, err error) {
	if b.opts.ObserveFetch != nil {
		url := src.discoveryURL
		if url == "" {
			url = src.jwksURL
		}
		b.opts.ObserveFetch(url, err)
	}
}

// verify checks the token's signature against the cached keys. When no key
// matches its key ID (or, without one, none verifies it), the keys are
// fetched again at once, at most once per MinRefreshInterval. Keys older
// than RefreshInterval are refreshed in the background.
func (b *Backend) verify(ctx context.Context, c *keyCache, jws *jose.JSONWebSignature) ([]byte, error) {
	kid := jws.Signatures[0].Header.KeyID
	alg := jws.Signatures[0].Header.Algorithm
	now := b.system.Now()
	keys, gen := c.snapshot(kid)
	if payload, ok := tryKeys(jws, keys, alg); ok {
		b.maybeRefresh(c, now)
		return payload, nil
	}
	if !c.src.remote() || !b.refreshUnknown(ctx, c, gen, now) {
		return nil, errNoKey
	}
	keys, _ = c.snapshot(kid)
	if payload, ok := tryKeys(jws, keys, alg); ok {
		return payload, nil
	}
	return nil, errNoKey
}

var errNoKey = errors.New("no known key successfully validated the token signature")

func tryKeys(jws *jose.JSONWebSignature, keys []jose.JSONWebKey, alg string) ([]byte, bool) {
	for _, k := range keys {
		if k.Algorithm != "" && k.Algorithm != alg {
			continue
		}
		if payload, err := jws.Verify(k.Key); err == nil {
			return payload, true
		}
	}
	return nil, false
}

// refreshUnknown fetches the keys for a token the cache could not verify,
// unless another login fetched them since gen was read (then the caller
// just looks again) or the last such fetch was under MinRefreshInterval
// ago. Fetches at config time and on schedule do not count against it, so
// a rotation right after a configuration write is still seen.
func (b *Backend) refreshUnknown(ctx context.Context, c *keyCache, gen uint64, now time.Time) bool {
	c.fetchMu.Lock()
	defer c.fetchMu.Unlock()
	c.mu.Lock()
	fresh := c.generation != gen
	tooSoon := !c.lastForced.IsZero() && now.Sub(c.lastForced) < b.opts.MinRefreshInterval
	if !fresh && !tooSoon {
		c.lastForced = now
	}
	c.mu.Unlock()
	if fresh {
		return true
	}
	if tooSoon {
		return false
	}
	err := c.fetch(ctx, now, b.opts.FetchTimeout)
	b.observeFetch(c.src, err)
	if err != nil {
		b.logger.Warn("jwt auth: refreshing the issuer's keys failed", "error", err)
		return false
	}
	return true
}

// maybeRefresh starts a background refresh when the keys are older than
// RefreshInterval and no attempt was made in the last MinRefreshInterval.
func (b *Backend) maybeRefresh(c *keyCache, now time.Time) {
	if !c.src.remote() {
		return
	}
	c.mu.Lock()
	due := !c.refreshing && now.Sub(c.fetchedAt) >= b.opts.RefreshInterval &&
		now.Sub(c.lastTry) >= b.opts.MinRefreshInterval
	if due {
		c.refreshing = true
	}
	c.mu.Unlock()
	if !due {
		return
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		c.fetchMu.Lock()
		err := c.fetch(b.bg, now, b.opts.FetchTimeout)
		c.fetchMu.Unlock()
		b.observeFetch(c.src, err)
		if err != nil {
			b.logger.Warn("jwt auth: scheduled refresh of the issuer's keys failed; keeping the cached keys", "error", err)
		}
		c.mu.Lock()
		c.refreshing = false
		c.mu.Unlock()
	}()
}
