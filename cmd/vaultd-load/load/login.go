package load

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// loginRole is the JWT role a login run logs in with.
const loginRole = "vaultd-load"

// prepareLogins enables a JWT auth method at Config.LoginMount (unless it
// is there already), configures it with a fresh ES256 public key and a
// role, and signs one JWT per client with the matching private key. The
// tokens logins mint get a short TTL so that a long run does not fill the
// token store with live tokens.
func (r *runner) prepareLogins(ctx context.Context) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("load: login key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("load: login key: %w", err)
	}
	pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	mount := r.cfg.LoginMount
	enable, _ := json.Marshal(map[string]any{"type": "jwt"})
	// An existing mount answers 400; the config write below tells whether
	// it is a JWT mount we can use.
	_, _ = r.send(ctx, http.MethodPost, "/v1/sys/auth/"+mount, string(enable), r.cfg.Token)
	conf, _ := json.Marshal(map[string]any{"jwt_validation_pubkeys": []string{pub}})
	if _, err := r.send(ctx, http.MethodPost, "/v1/auth/"+mount+"/config", string(conf), r.cfg.Token); err != nil {
		return fmt.Errorf("load: configure auth/%s: %w", mount, err)
	}
	role, _ := json.Marshal(map[string]any{
		"role_type": "jwt", "user_claim": "sub", "bound_audiences": []string{"vaultd-load"},
		"token_policies": []string{"default"}, "token_ttl": "2m", "token_max_ttl": "2m",
	})
	if _, err := r.send(ctx, http.MethodPost, "/v1/auth/"+mount+"/role/"+loginRole, string(role), r.cfg.Token); err != nil {
		return fmt.Errorf("load: create role on auth/%s: %w", mount, err)
	}
	r.jwts = make([]string, r.cfg.Concurrency)
	exp := time.Now().Add(24 * time.Hour).Unix()
	for i := range r.jwts {
		claims := map[string]any{"sub": fmt.Sprintf("client-%d", i), "aud": "vaultd-load", "exp": exp, "iat": time.Now().Unix()}
		r.jwts[i], err = signES256(key, claims)
		if err != nil {
			return err
		}
	}
	return nil
}

// loginBody is the body of one login request of client w.
func (r *runner) loginBody(w int) string {
	return fmt.Sprintf(`{"role":%q,"jwt":%q}`, loginRole, r.jwts[w])
}

// signES256 returns a compact JWS of claims signed with key.
func signES256(key *ecdsa.PrivateKey, claims map[string]any) (string, error) {
	enc := base64.RawURLEncoding
	body, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("load: sign JWT: %w", err)
	}
	signed := enc.EncodeToString([]byte(`{"alg":"ES256","typ":"JWT"}`)) + "." + enc.EncodeToString(body)
	sum := sha256.Sum256([]byte(signed))
	rr, ss, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		return "", fmt.Errorf("load: sign JWT: %w", err)
	}
	sig := make([]byte, 64)
	rr.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return signed + "." + enc.EncodeToString(sig), nil
}

// loginPath is the URL path of a login.
func (r *runner) loginPath() string {
	return "/v1/auth/" + strings.Trim(r.cfg.LoginMount, "/") + "/login"
}
