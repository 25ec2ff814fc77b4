package barrier

import (
	"context"
	"crypto/subtle"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vaultd/vaultd/storage"
)

// The physical entries kept outside encryption. Core writes SealConfigPath
// directly to physical storage; the barrier owns the other two.
const (
	SealConfigPath = "core/seal-config"
	RootKeyPath    = "core/root-key"
	KeyringPath    = "core/keyring"
)

// Reserved reports whether key is one of the plaintext seal entries, which
// logical operations may not touch.
func Reserved(key string) bool {
	return reservedChild("", key)
}

// reservedChild reports whether prefix+name is Reserved, without building
// the key: List asks it of every name it returns.
func reservedChild(prefix, name string) bool {
	for _, r := range [...]string{SealConfigPath, RootKeyPath, KeyringPath} {
		if len(r) == len(prefix)+len(name) && r[:len(prefix)] == prefix && r[len(prefix):] == name {
			return true
		}
	}
	return false
}

// Barrier encrypts logical entries onto a storage.Backend. It is safe for
// concurrent use; reads and writes take no lock.
type Barrier struct {
	phys  storage.Backend
	clock func() time.Time

	// mu serialises the state changes: Initialize, Unseal, Seal, Rotate.
	mu sync.Mutex
	// keys is the unsealed keyring, nil while sealed.
	keys atomic.Pointer[keyring]
	// observe, when set, times Get, List and Commit.
	observe func(op string, start time.Time)
}

// Option configures New.
type Option func(*Barrier)

// WithClock sets the clock that stamps key install times (default time.Now).
func WithClock(clock func() time.Time) Option {
	return func(b *Barrier) {
		if clock != nil {
			b.clock = clock
		}
	}
}

// New returns a sealed Barrier over phys.
func New(phys storage.Backend, opts ...Option) *Barrier {
	b := &Barrier{phys: phys, clock: time.Now}
	for _, opt := range opts {
		opt(b)
	}
	return b
}

// Initialized reports whether a root key has been stored.
func (b *Barrier) Initialized(ctx context.Context) (bool, error) {
	e, err := b.phys.Get(ctx, RootKeyPath)
	if err != nil {
		return false, fmt.Errorf("barrier: read root key: %w", err)
	}
	return e != nil, nil
}

// Initialize creates a random root key and a keyring with term 1, seals the
// keyring with the root key and the root key with unsealKey, and stores both
// in one atomic commit. The barrier stays sealed.
func (b *Barrier) Initialize(ctx context.Context, unsealKey []byte) error {
	if len(unsealKey) != KeySize {
		return fmt.Errorf("barrier: unseal key must be %d bytes, got %d", KeySize, len(unsealKey))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ok, err := b.Initialized(ctx)
	if err != nil {
		return err
	}
	if ok {
		return ErrAlreadyInitialized
	}
	rootKey, err := GenerateKey()
	if err != nil {
		return err
	}
	defer clear(rootKey)
	firstKey, err := GenerateKey()
	if err != nil {
		return err
	}
	defer clear(firstKey)
	tk, err := newTermKey(1, firstKey, b.clock())
	if err != nil {
		return err
	}
	keyringBlob, err := sealKeyring(rootKey, []*termKey{tk})
	if err != nil {
		return err
	}
	rootBlob, err := sealBlob(unsealKey, RootKeyPath, rootKey)
	if err != nil {
		return err
	}
	err = b.phys.Commit(ctx, []storage.Op{
		{Key: KeyringPath, Value: keyringBlob},
		{Key: RootKeyPath, Value: rootBlob},
	})
	if err != nil {
		return fmt.Errorf("barrier: store root key and keyring: %w", err)
	}
	return nil
}

// sealKeyring encodes terms and seals them with rootKey.
func sealKeyring(rootKey []byte, terms []*termKey) ([]byte, error) {
	plain := encodeTerms(terms)
	defer clear(plain)
	return sealBlob(rootKey, KeyringPath, plain)
}

// Unseal opens the root key with unsealKey, then the keyring with the root
// key. A key that does not open the root key gives ErrBadUnsealKey. On an
// already unsealed barrier the key is still checked, and nil returned if it
// is right.
func (b *Barrier) Unseal(ctx context.Context, unsealKey []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	rootKey, err := b.openRootKey(ctx, unsealKey)
	if err != nil {
		return err
	}
	if cur := b.keys.Load(); cur != nil {
		same := subtle.ConstantTimeCompare(cur.rootKey, rootKey) == 1
		clear(rootKey)
		if !same {
			return fmt.Errorf("barrier: stored root key differs from the one in use: %w", ErrBadUnsealKey)
		}
		return nil
	}
	terms, err := b.openKeyring(ctx, rootKey)
	if err != nil {
		clear(rootKey)
		return err
	}
	b.keys.Store(&keyring{rootKey: rootKey, terms: terms})
	return nil
}

func (b *Barrier) openRootKey(ctx context.Context, unsealKey []byte) ([]byte, error) {
	e, err := b.phys.Get(ctx, RootKeyPath)
	if err != nil {
		return nil, fmt.Errorf("barrier: read root key: %w", err)
	}
	if e == nil {
		return nil, ErrNotInitialized
	}
	if len(unsealKey) != KeySize {
		return nil, fmt.Errorf("barrier: unseal key of %d bytes: %w", len(unsealKey), ErrBadUnsealKey)
	}
	aead, err := newAEAD(unsealKey)
	if err != nil {
		return nil, err
	}
	rootKey, err := openBlob(aead, RootKeyPath, e.Value)
	if err != nil {
		return nil, ErrBadUnsealKey
	}
	if len(rootKey) != KeySize {
		clear(rootKey)
		return nil, fmt.Errorf("barrier: root key of %d bytes: %w", len(rootKey), ErrDecrypt)
	}
	return rootKey, nil
}

func (b *Barrier) openKeyring(ctx context.Context, rootKey []byte) ([]*termKey, error) {
	e, err := b.phys.Get(ctx, KeyringPath)
	if err != nil {
		return nil, fmt.Errorf("barrier: read keyring: %w", err)
	}
	if e == nil {
		return nil, fmt.Errorf("barrier: keyring is missing: %w", ErrDecrypt)
	}
	aead, err := newAEAD(rootKey)
	if err != nil {
		return nil, err
	}
	plain, err := openBlob(aead, KeyringPath, e.Value)
	if err != nil {
		return nil, fmt.Errorf("barrier: open keyring: %w", err)
	}
	defer clear(plain)
	return decodeTerms(plain)
}

// Seal forgets the keyring and zeroes the keys held in memory. Requests
// already past the sealed check may finish.
func (b *Barrier) Seal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k := b.keys.Swap(nil); k != nil {
		k.zero()
	}
}

// Sealed reports whether the barrier is sealed.
func (b *Barrier) Sealed() bool { return b.keys.Load() == nil }

// Rotate installs a new term: the keyring with it is stored first, then new
// writes use it. Entries under older terms stay readable.
func (b *Barrier) Rotate(ctx context.Context) (uint32, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur := b.keys.Load()
	if cur == nil {
		return 0, ErrSealed
	}
	key, err := GenerateKey()
	if err != nil {
		return 0, err
	}
	next, err := cur.withNewTerm(key, b.clock())
	if err != nil {
		clear(key)
		return 0, err
	}
	blob, err := sealKeyring(next.rootKey, next.terms)
	if err == nil {
		err = b.phys.Put(ctx, &storage.Entry{Key: KeyringPath, Value: blob})
	}
	if err != nil {
		clear(key)
		return 0, fmt.Errorf("barrier: store rotated keyring: %w", err)
	}
	b.keys.Store(next)
	return next.active().term, nil
}

// KeyStatus returns the active term and when it was installed.
func (b *Barrier) KeyStatus(_ context.Context) (uint32, time.Time, error) {
	k := b.keys.Load()
	if k == nil {
		return 0, time.Time{}, ErrSealed
	}
	a := k.active()
	return a.term, a.installed, nil
}

// unsealedFor returns the keyring, or ErrSealed / ErrReservedKey.
func (b *Barrier) unsealedFor(key string) (*keyring, error) {
	k := b.keys.Load()
	if k == nil {
		return nil, ErrSealed
	}
	if Reserved(key) {
		return nil, fmt.Errorf("barrier: %q: %w", key, ErrReservedKey)
	}
	return k, nil
}

// Get reads and decrypts the entry at key; nil and no error when missing.
func (b *Barrier) Get(ctx context.Context, key string) (*storage.Entry, error) {
	defer b.observed("get", time.Now())
	k, err := b.unsealedFor(key)
	if err != nil {
		return nil, err
	}
	e, err := b.phys.Get(ctx, key)
	if err != nil || e == nil {
		return nil, err
	}
	plain, err := k.open(key, e.Value)
	if err != nil {
		return nil, err
	}
	return &storage.Entry{Key: key, Value: plain}, nil
}

// open decrypts a ciphertext read from path under the term it records.
func (k *keyring) open(path string, ciphertext []byte) ([]byte, error) {
	term, err := termOf(ciphertext)
	if err != nil {
		return nil, fmt.Errorf("barrier: %q: %w", path, err)
	}
	tk := k.term(term)
	if tk == nil {
		return nil, fmt.Errorf("barrier: %q: %w: unknown key term %d", path, ErrDecrypt, term)
	}
	plain, err := decrypt(tk.aead, path, ciphertext)
	if err != nil {
		return nil, fmt.Errorf("barrier: %q: %w", path, err)
	}
	return plain, nil
}

// seal encrypts value for path under the active term.
func (k *keyring) seal(path string, value []byte) ([]byte, error) {
	a := k.active()
	a.encryptions.Add(1)
	return encrypt(a.aead, a.term, path, value)
}

// Put encrypts and writes the entry.
func (b *Barrier) Put(ctx context.Context, entry *storage.Entry) error {
	if entry == nil {
		return fmt.Errorf("barrier: %w: nil entry", storage.ErrInvalidKey)
	}
	return b.Commit(ctx, []storage.Op{{Key: entry.Key, Value: entry.Value}})
}

// Delete removes the entry at key.
func (b *Barrier) Delete(ctx context.Context, key string) error {
	return b.Commit(ctx, []storage.Op{{Delete: true, Key: key}})
}

// List returns the names directly under prefix, as storage.Backend does,
// leaving out the reserved seal entries. The backend's slice is filtered
// in place: no name is copied.
func (b *Barrier) List(ctx context.Context, prefix string) ([]string, error) {
	defer b.observed("list", time.Now())
	if b.keys.Load() == nil {
		return nil, ErrSealed
	}
	names, err := b.phys.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := names[:0]
	for _, n := range names {
		if !reservedChild(prefix, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// Commit encrypts every put, then applies all ops in one atomic physical
// commit. No op may touch a reserved key.
func (b *Barrier) Commit(ctx context.Context, ops []storage.Op) error {
	op := "put"
	if len(ops) == 1 && ops[0].Delete {
		op = "delete"
	}
	defer b.observed(op, time.Now())
	k := b.keys.Load()
	if k == nil {
		return ErrSealed
	}
	phys := make([]storage.Op, len(ops))
	for i, op := range ops {
		if Reserved(op.Key) {
			return fmt.Errorf("barrier: %q: %w", op.Key, ErrReservedKey)
		}
		phys[i] = storage.Op{Delete: op.Delete, Key: op.Key}
		if op.Delete {
			continue
		}
		ct, err := k.seal(op.Key, op.Value)
		if err != nil {
			return err
		}
		phys[i].Value = ct
	}
	return b.phys.Commit(ctx, phys)
}
