package token

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"sync"

	"github.com/vaultd/vaultd/logical"
)

const (
	// tokenPrefix starts every generated token, as Vault's service tokens.
	tokenPrefix = "hvs."
	// tokenChars random base62 characters carry 33*log2(62) ≈ 196 bits.
	tokenChars = 33
	// accessorChars is the length of an accessor, as Vault's.
	accessorChars = 24
	// saltKey holds the HMAC key in the store's view.
	saltKey = "salt"
	// saltBytes is the HMAC key length.
	saltBytes = 32
)

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomBase62 returns n characters drawn uniformly from the base62 alphabet
// using crypto/rand. Bytes of 248 and above are rejected so that every
// character is equally likely (248 = 4*62).
func randomBase62(n int) (string, error) {
	var sb strings.Builder
	sb.Grow(n)
	buf := make([]byte, n+n/4+8)
	for sb.Len() < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("read random bytes: %w", err)
		}
		for _, b := range buf {
			if b >= 248 {
				continue
			}
			sb.WriteByte(base62Alphabet[b%62])
			if sb.Len() == n {
				break
			}
		}
	}
	return sb.String(), nil
}

// newTokenID returns a fresh "hvs." token.
func newTokenID() (string, error) {
	r, err := randomBase62(tokenChars)
	if err != nil {
		return "", err
	}
	return tokenPrefix + r, nil
}

// hmacSum is the HMAC-SHA256 of a token under the store's salt.
type hmacSum [sha256.Size]byte

// hex is the storage form of the sum.
func (s hmacSum) hex() string { return hex.EncodeToString(s[:]) }

// parseSum reads the storage form back.
func parseSum(s string) (hmacSum, bool) {
	var out hmacSum
	if len(s) != 2*len(out) {
		return out, false
	}
	if _, err := hex.Decode(out[:], []byte(s)); err != nil {
		return out, false
	}
	return out, true
}

// hasher computes HMACs under the salt, reusing hash states.
type hasher struct {
	pool sync.Pool
}

// hmacState is one pooled HMAC with its output buffer.
type hmacState struct {
	mac hash.Hash
	buf []byte
}

func newHasher(salt []byte) *hasher {
	key := append([]byte(nil), salt...)
	h := &hasher{}
	h.pool.New = func() any {
		return &hmacState{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, sha256.Size)}
	}
	return h
}

// sum returns the HMAC of id.
func (h *hasher) sum(id string) hmacSum {
	return h.sumBytes([]byte(id))
}

// sumBytes returns the HMAC of id given as bytes.
func (h *hasher) sumBytes(id []byte) hmacSum {
	st := h.pool.Get().(*hmacState)
	st.mac.Reset()
	_, _ = st.mac.Write(id)
	st.buf = st.mac.Sum(st.buf[:0])
	var out hmacSum
	copy(out[:], st.buf)
	h.pool.Put(st)
	return out
}

// loadOrCreateSalt reads the HMAC key from the view, creating it on first
// use.
func loadOrCreateSalt(ctx context.Context, st logical.Storage) ([]byte, error) {
	ent, err := st.Get(ctx, saltKey)
	if err != nil {
		return nil, fmt.Errorf("read token salt: %w", err)
	}
	if ent != nil {
		if len(ent.Value) != saltBytes {
			return nil, fmt.Errorf("token salt has %d bytes, want %d", len(ent.Value), saltBytes)
		}
		return ent.Value, nil
	}
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("generate token salt: %w", err)
	}
	if err := st.Put(ctx, &logical.StorageEntry{Key: saltKey, Value: salt}); err != nil {
		return nil, fmt.Errorf("store token salt: %w", err)
	}
	return salt, nil
}
