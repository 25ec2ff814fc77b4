package database

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// The default password policy, as Vault's: 20 characters from lower and
// upper case letters, digits and "-", at least one of each.
const (
	passwordLength = 20
	lowerChars     = "abcdefghijklmnopqrstuvwxyz"
	upperChars     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digitChars     = "0123456789"
	dashChars      = "-"
)

// generatePassword draws a password under the default policy. Its alphabet
// has no quote or backslash, so it is safe inside an SQL string literal.
func generatePassword() (string, error) {
	all := lowerChars + upperChars + digitChars + dashChars
	for range 100 {
		s, err := randomFrom(all, passwordLength)
		if err != nil {
			return "", err
		}
		if strings.ContainsAny(s, lowerChars) && strings.ContainsAny(s, upperChars) &&
			strings.ContainsAny(s, digitChars) && strings.ContainsAny(s, dashChars) {
			return s, nil
		}
	}
	return "", errors.New("could not draw a password meeting the policy")
}

// randomFrom draws n characters uniformly from alphabet.
func randomFrom(alphabet string, n int) (string, error) {
	out := make([]byte, n)
	limit := big.NewInt(int64(len(alphabet)))
	for i := range out {
		k, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return "", fmt.Errorf("random: %w", err)
		}
		out[i] = alphabet[k.Int64()]
	}
	return string(out), nil
}

// scramVerifier turns a password into the SCRAM-SHA-256 verifier
// PostgreSQL stores (RFC 5802, RFC 7677), so that with
// password_authentication=scram-sha-256 the plaintext never reaches the
// server or its statement log.
func scramVerifier(password string) (string, error) {
	const iterations = 4096
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", fmt.Errorf("pbkdf2: %w", err)
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	clientKey := mac(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	serverKey := mac(salted, "Server Key")
	enc := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, enc(salt), enc(stored[:]), enc(serverKey)), nil
}

// redactor replaces secrets in text that may reach a client or a log.
type redactor []string

func (r redactor) String(s string) string {
	for _, secret := range r {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// Error returns an error whose message has the secrets replaced; the
// original error is not kept in the chain, so no caller can unwrap a
// secret out of it.
func (r redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(r.String(err.Error()))
}
