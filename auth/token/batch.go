package token

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

// Batch tokens are not stored: the token is its own entry, encrypted by the
// barrier's keyring (Config.Crypter), so they open across sys/rotate. They have
// no accessor, cannot be renewed, carry no use count and create no
// children. A batch child of a service token dies with its parent: the
// parent is checked on every use.

// errBatchRevoke is Vault's answer to revoking a batch token.
var errBatchRevoke = logical.InvalidRequest("batch tokens cannot be revoked")

// TypeBatch is the type of a batch token.
const TypeBatch = "batch"

const (
	batchPrefix = "hvb."
	batchKeyKey = "batch-key"
	// batchAAD binds the ciphertext to this use, as a path binds an entry.
	batchAAD = "\x00batch-token"
)

// batchEntry is what a batch token holds.
type batchEntry struct {
	Policies        []string          `json:"p"`
	Path            string            `json:"pa"`
	Meta            map[string]string `json:"m,omitempty"`
	DisplayName     string            `json:"d"`
	CreationTime    time.Time         `json:"c"`
	TTL             time.Duration     `json:"t"`
	ExpireTime      time.Time         `json:"e"`
	EntityID        string            `json:"en,omitempty"`
	Parent          string            `json:"pr,omitempty"`
	BoundCIDRs      []string          `json:"b,omitempty"`
	NoDefaultPolicy bool              `json:"nd,omitempty"`
	Role            string            `json:"r,omitempty"`
	InternalData    map[string]any    `json:"i,omitempty"`
	// Nonce makes two tokens with the same contents differ.
	Nonce []byte `json:"n"`
}

// Crypter seals and opens values that are not stored; the barrier is one.
type Crypter interface {
	Encrypt(aad string, plaintext []byte) ([]byte, error)
	Decrypt(aad string, ciphertext []byte) ([]byte, error)
}

// aeadCrypter is a Crypter over one AES-GCM key, random nonce first.
type aeadCrypter struct{ aead cipher.AEAD }

func (c aeadCrypter) Encrypt(aad string, plaintext []byte) ([]byte, error) {
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return c.aead.Seal(nonce, nonce, plaintext, []byte(aad)), nil
}

func (c aeadCrypter) Decrypt(aad string, ciphertext []byte) ([]byte, error) {
	n := c.aead.NonceSize()
	if len(ciphertext) < n {
		return nil, errors.New("batch token too short")
	}
	return c.aead.Open(nil, ciphertext[:n], ciphertext[n:], []byte(aad))
}

// loadBatchAEAD reads the store's own batch-token key from its view,
// creating it on first use; only used without a Crypter.
func loadBatchAEAD(ctx context.Context, st logical.Storage) (Crypter, error) {
	ent, err := st.Get(ctx, batchKeyKey)
	if err != nil {
		return nil, fmt.Errorf("read batch token key: %w", err)
	}
	var key []byte
	if ent != nil {
		key = ent.Value
	} else {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generate batch token key: %w", err)
		}
		if err := st.Put(ctx, &logical.StorageEntry{Key: batchKeyKey, Value: key}); err != nil {
			return nil, fmt.Errorf("store batch token key: %w", err)
		}
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("batch token key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("batch token key: %w", err)
	}
	return aeadCrypter{aead: aead}, nil
}

// IsBatch reports whether e is a batch token.
func (e *Entry) IsBatch() bool { return e.Type == TypeBatch }

// isBatchType reports whether a requested token type asks for a batch token.
func isBatchType(t string) bool { return t == TypeBatch || t == "default-batch" }

// insertBatch turns e into a batch token: checks what batch tokens cannot
// be, then sets e.ID to the encrypted entry. Nothing is stored.
func (s *Store) insertBatch(ctx context.Context, e *Entry, parent *Entry) error {
	switch {
	case e.NumUses != 0:
		return logical.InvalidRequest("batch tokens cannot have %q set", "num_uses")
	case e.Period != 0:
		return logical.InvalidRequest("batch tokens cannot have %q set", "period")
	case e.IsRoot():
		return logical.InvalidRequest("batch tokens cannot be root tokens")
	case e.ID != "":
		return logical.InvalidRequest("custom IDs are not allowed for batch tokens")
	case e.ExpireTime.IsZero():
		return logical.InvalidRequest("batch tokens must have a TTL")
	}
	be := batchEntry{
		Policies: e.Policies, Path: e.Path, Meta: e.Meta, DisplayName: e.DisplayName,
		CreationTime: e.CreationTime, TTL: e.TTL, ExpireTime: e.ExpireTime, EntityID: e.EntityID,
		BoundCIDRs: e.BoundCIDRs, NoDefaultPolicy: e.NoDefaultPolicy, Role: e.Role, InternalData: e.InternalData,
		Nonce: make([]byte, 8),
	}
	if _, err := rand.Read(be.Nonce); err != nil {
		return err
	}
	if parent != nil {
		sum, ok, err := s.sumOf(ctx, parent)
		if err != nil {
			return err
		}
		if !ok {
			return logical.InvalidRequest("parent token not found")
		}
		be.Parent = sum.hex()
	}
	plain, err := json.Marshal(be)
	if err != nil {
		return fmt.Errorf("encode batch token: %w", err)
	}
	sealed, err := s.batch.Encrypt(batchAAD, plain)
	if err != nil {
		return fmt.Errorf("encrypt batch token: %w", err)
	}
	e.ID = batchPrefix + base64.RawURLEncoding.EncodeToString(sealed)
	e.Type, e.Accessor, e.Renewable, e.Orphan = TypeBatch, "", false, parent == nil
	if parent != nil {
		e.Parent = be.Parent
	}
	s.logger.Debug("batch token created", "path", e.Path, "orphan", parent == nil)
	return nil
}

// lookupBatch opens a batch token; nil when it does not open, has expired
// or its parent is gone.
func (s *Store) lookupBatch(ctx context.Context, id string) (*Entry, error) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(id, batchPrefix))
	if err != nil {
		return nil, nil
	}
	plain, err := s.batch.Decrypt(batchAAD, raw)
	if err != nil {
		return nil, nil
	}
	var be batchEntry
	if err := json.Unmarshal(plain, &be); err != nil {
		return nil, nil
	}
	e := &Entry{
		ID: id, Policies: be.Policies, Path: be.Path, Meta: be.Meta, DisplayName: be.DisplayName,
		CreationTime: be.CreationTime, TTL: be.TTL, GrantedTTL: be.TTL, ExpireTime: be.ExpireTime, EntityID: be.EntityID,
		BoundCIDRs: be.BoundCIDRs, NoDefaultPolicy: be.NoDefaultPolicy, Role: be.Role, InternalData: be.InternalData,
		Type: TypeBatch, Orphan: be.Parent == "", Parent: be.Parent,
	}
	if e.Expired(s.system.Now()) {
		return nil, nil
	}
	if be.Parent != "" {
		sum, ok := parseSum(be.Parent)
		if !ok {
			return nil, nil
		}
		l := s.lock(sum)
		l.RLock()
		p, err := s.load(ctx, sum)
		l.RUnlock()
		if err != nil {
			return nil, err
		}
		if p == nil || !p.live(s.system.Now()) {
			return nil, nil
		}
	}
	return e, nil
}

// createBatchFromAuth is CreateFromAuth for a login whose role asks for
// batch tokens.
func (s *Store) createBatchFromAuth(ctx context.Context, path string, auth *logical.Auth) (*Entry, error) {
	if auth.NumUses != 0 || auth.Period != 0 {
		return nil, logical.InvalidRequest("batch tokens cannot be periodic or have a use count limit")
	}
	policies := tokenutil.SanitizePolicies(auth.Policies, !auth.NoDefaultPolicy)
	if slices.Contains(policies, "root") {
		return nil, logical.InvalidRequest("auth methods cannot create root tokens")
	}
	if err := checkAssignable(policies); err != nil {
		return nil, err
	}
	now := s.system.Now()
	ttl, _, err := calculateTTL(s.system, ttlRequest{now: now, start: now, base: auth.TTL, maxTTL: auth.MaxTTL, explicitMax: auth.ExplicitMaxTTL})
	if err != nil {
		return nil, err
	}
	if ttl <= 0 {
		return nil, errors.New("create batch token: no TTL could be set")
	}
	e := &Entry{
		Policies: policies, Path: path, Meta: maps.Clone(auth.Metadata), DisplayName: auth.DisplayName,
		CreationTime: now, TTL: ttl, ExpireTime: now.Add(ttl), EntityID: auth.EntityID,
		BoundCIDRs: slices.Clone(auth.BoundCIDRs), NoDefaultPolicy: auth.NoDefaultPolicy, InternalData: maps.Clone(auth.InternalData),
	}
	if err := s.insertBatch(ctx, e, nil); err != nil {
		return nil, err
	}
	auth.ClientToken, auth.Accessor, auth.TTL = e.ID, "", ttl
	auth.Policies, auth.TokenPolicies = slices.Clone(policies), slices.Clone(policies)
	auth.Orphan, auth.Renewable, auth.TokenType, auth.IssueTime = true, false, logical.TokenTypeBatch, now
	return e, nil
}
