package kubernetes

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"math/big"
	"slices"
	"strings"
	"time"
)

// clockLeeway is the skew allowed when checking exp and nbf locally, as
// Vault's JWT validation allows. The API server's own check is the one that
// decides; the local one only spares it tokens that cannot pass.
const clockLeeway = 150 * time.Second

// maxJWTSize bounds what login will try to parse.
const maxJWTSize = 64 << 10

// errMalformedJWT is returned for anything that is not a compact JWS with
// JSON header and claims.
var errMalformedJWT = errors.New("malformed JWT")

// serviceAccountJWT is a parsed, not yet trusted, service-account token.
type serviceAccountJWT struct {
	alg          string
	signingInput []byte
	signature    []byte
	claims       saClaims
}

// saClaims are the claims a login reads. Kubernetes writes two layouts:
// bound (projected) tokens carry a "kubernetes.io" object, legacy secret
// tokens flat "kubernetes.io/serviceaccount/..." keys; the bound layout
// wins when both are present, as in Vault.
type saClaims struct {
	Issuer    string
	Subject   string
	Audience  []string
	Expiry    *time.Time
	NotBefore *time.Time
	IssuedAt  *time.Time

	Namespace  string
	Name       string
	UID        string
	SecretName string
	PodName    string
}

type wireClaims struct {
	Iss        string          `json:"iss"`
	Sub        string          `json:"sub"`
	Aud        json.RawMessage `json:"aud"`
	Exp        *json.Number    `json:"exp"`
	Nbf        *json.Number    `json:"nbf"`
	Iat        *json.Number    `json:"iat"`
	Kubernetes *struct {
		Namespace      string     `json:"namespace"`
		ServiceAccount *objectRef `json:"serviceaccount"`
		Pod            *objectRef `json:"pod"`
	} `json:"kubernetes.io"`
	LegacyNamespace  string `json:"kubernetes.io/serviceaccount/namespace"`
	LegacyName       string `json:"kubernetes.io/serviceaccount/service-account.name"`
	LegacyUID        string `json:"kubernetes.io/serviceaccount/service-account.uid"`
	LegacySecretName string `json:"kubernetes.io/serviceaccount/secret.name"`
}

type objectRef struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// signingAlgs are the algorithms Kubernetes may sign service-account tokens
// with; anything else (none, HMAC) is refused.
var signingAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}

// parseJWT splits and decodes a compact JWS without trusting it.
func parseJWT(token string) (*serviceAccountJWT, error) {
	if len(token) > maxJWTSize {
		return nil, fmt.Errorf("%w: longer than %d bytes", errMalformedJWT, maxJWTSize)
	}
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: want 3 dot-separated parts, got %d", errMalformedJWT, len(parts))
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", errMalformedJWT, err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: claims: %w", errMalformedJWT, err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %w", errMalformedJWT, err)
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(headerJSON, &header); err != nil {
		return nil, fmt.Errorf("%w: header: %w", errMalformedJWT, err)
	}
	if !slices.Contains(signingAlgs, header.Alg) {
		return nil, fmt.Errorf("%w: unsupported signing algorithm %q", errMalformedJWT, header.Alg)
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, err
	}
	return &serviceAccountJWT{
		alg:          header.Alg,
		signingInput: []byte(parts[0] + "." + parts[1]),
		signature:    sig,
		claims:       claims,
	}, nil
}

func decodeClaims(payload []byte) (saClaims, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var w wireClaims
	if err := dec.Decode(&w); err != nil {
		return saClaims{}, fmt.Errorf("%w: claims: %w", errMalformedJWT, err)
	}
	c := saClaims{
		Issuer:     w.Iss,
		Subject:    w.Sub,
		Namespace:  w.LegacyNamespace,
		Name:       w.LegacyName,
		UID:        w.LegacyUID,
		SecretName: w.LegacySecretName,
	}
	if k := w.Kubernetes; k != nil {
		c.Namespace = k.Namespace
		if k.ServiceAccount != nil {
			c.Name, c.UID = k.ServiceAccount.Name, k.ServiceAccount.UID
		}
		if k.Pod != nil {
			c.PodName = k.Pod.Name
		}
	}
	var err error
	if c.Audience, err = decodeAudience(w.Aud); err != nil {
		return saClaims{}, err
	}
	for _, f := range []struct {
		name string
		in   *json.Number
		out  **time.Time
	}{{"exp", w.Exp, &c.Expiry}, {"nbf", w.Nbf, &c.NotBefore}, {"iat", w.Iat, &c.IssuedAt}} {
		if f.in == nil {
			continue
		}
		secs, err := f.in.Float64()
		if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) {
			return saClaims{}, fmt.Errorf("%w: %s is not a number", errMalformedJWT, f.name)
		}
		t := time.Unix(int64(secs), 0)
		*f.out = &t
	}
	return c, nil
}

// decodeAudience reads aud as a string or a list of strings.
func decodeAudience(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("%w: aud is neither a string nor a list of strings", errMalformedJWT)
	}
	return many, nil
}

// claimCheck is what a role and configuration expect of the claims.
type claimCheck struct {
	now      time.Time
	issuer   string // empty: not checked
	audience string // empty: not checked
}

// check validates the time, issuer and audience claims. A missing exp, nbf
// or iat is allowed, as Vault allows it; the API server has the last word.
func (c *saClaims) check(want claimCheck) error {
	if c.Expiry != nil && !want.now.Before(c.Expiry.Add(clockLeeway)) {
		return errors.New("invalid expiration time (exp) claim: token is expired")
	}
	if c.NotBefore != nil && want.now.Add(clockLeeway).Before(*c.NotBefore) {
		return errors.New("invalid not before (nbf) claim: token not yet valid")
	}
	if c.IssuedAt != nil && want.now.Add(clockLeeway).Before(*c.IssuedAt) {
		return errors.New("invalid issued at (iat) claim: token issued in the future")
	}
	if want.issuer != "" && c.Issuer != want.issuer {
		return errors.New("invalid issuer (iss) claim")
	}
	if want.audience != "" && !slices.Contains(c.Audience, want.audience) {
		return errors.New("invalid audience (aud) claim: audience claim does not match any expected audience")
	}
	if c.Namespace == "" || c.Name == "" {
		return errors.New("token is not a service account token: no namespace or service account name claim")
	}
	return nil
}

// verify checks the signature against any of keys. It reports whether one
// of them signed the token.
func (j *serviceAccountJWT) verify(keys []crypto.PublicKey) bool {
	h, hashID := hashFor(j.alg)
	if h == nil {
		return false
	}
	h.Write(j.signingInput)
	digest := h.Sum(nil)
	for _, key := range keys {
		switch k := key.(type) {
		case *rsa.PublicKey:
			switch j.alg[:2] {
			case "RS":
				if rsa.VerifyPKCS1v15(k, hashID, digest, j.signature) == nil {
					return true
				}
			case "PS":
				opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: hashID}
				if rsa.VerifyPSS(k, hashID, digest, j.signature, opts) == nil {
					return true
				}
			}
		case *ecdsa.PublicKey:
			if j.alg[:2] == "ES" && verifyES(k, digest, j.signature) {
				return true
			}
		}
	}
	return false
}

// verifyES checks a JWS ECDSA signature: r and s, each the curve's size,
// concatenated.
func verifyES(k *ecdsa.PublicKey, digest, sig []byte) bool {
	size := (k.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*size {
		return false
	}
	r := new(big.Int).SetBytes(sig[:size])
	s := new(big.Int).SetBytes(sig[size:])
	return ecdsa.Verify(k, digest, r, s)
}

func hashFor(alg string) (hash.Hash, crypto.Hash) {
	switch alg[2:] {
	case "256":
		return sha256.New(), crypto.SHA256
	case "384":
		return sha512.New384(), crypto.SHA384
	case "512":
		return sha512.New(), crypto.SHA512
	}
	return nil, 0
}
