package token

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vaultd/vaultd/logical"
)

// Storage key prefixes inside the store's view.
const (
	idPrefix       = "id/"
	accessorPrefix = "accessor/"
	parentPrefix   = "parent/"
	rolePrefix     = "roles/"
)

// stripes is the number of lock stripes; a token's stripe is the first byte
// of its HMAC.
const stripes = 256

// defaultCacheSize bounds the look-up cache when Config.CacheSize is zero.
const defaultCacheSize = 65536

// Hooks is implemented by core. A nil Hooks means no hooks (unit tests).
type Hooks interface {
	// TokenCreated is called after a token is stored (root tokens
	// included); core records its expiry in its lease index. An error
	// undoes the creation.
	TokenCreated(ctx context.Context, e *Entry) error
	// TokenRenewed is called after a renewal is stored.
	TokenRenewed(ctx context.Context, e *Entry) error
	// TokenRevoked is called before a token's entry is deleted; core drops
	// its lease index entry, its cubbyhole and its secret leases. The
	// entry's ID is empty. An error stops the revocation with the token
	// already unusable; revoking it again (RevokeAccessor) resumes.
	TokenRevoked(ctx context.Context, e *Entry) error
	// CheckRenew asks the auth method at e.Path whether a login token may be
	// renewed. It is only called for tokens not issued by auth/token. The
	// returned Auth, if not nil, may carry a new TTL, MaxTTL, Period and
	// ExplicitMaxTTL. An error refuses the renewal.
	CheckRenew(ctx context.Context, e *Entry) (*logical.Auth, error)
}

// SudoChecker may also be implemented by the Hooks. The endpoints ask it
// whether the caller has sudo on a path (such as "auth/token/create") when
// Vault requires "root or sudo". Without it only root tokens count as sudo.
type SudoChecker interface {
	HasSudo(ctx context.Context, e *Entry, path string) bool
}

// Config is what NewStore needs.
type Config struct {
	// Storage is core's view at "sys/token/".
	Storage logical.Storage
	// System gives the clock and the auth/token mount's TTLs.
	System logical.SystemView
	// Logger receives the store's logs; tokens and accessors are never
	// logged, at any level.
	Logger *slog.Logger
	// Hooks may be nil and set later with SetHooks.
	Hooks Hooks
	// CacheSize bounds the number of cached entries (0: 65536).
	CacheSize int
}

// Store is the token store. It is safe for concurrent use.
type Store struct {
	storage logical.Storage
	system  logical.SystemView
	logger  *slog.Logger
	hasher  *hasher
	hooks   atomic.Pointer[hooksBox]

	// locks guard each token's stored entry and its cache entry: readers
	// that fill the cache take them shared, writers exclusively.
	locks [stripes]sync.RWMutex
	// renewLocks serialise renewals of one token, hooks included.
	renewLocks [stripes]sync.Mutex
	// customIDMu serialises creations with a caller-chosen ID.
	customIDMu sync.Mutex

	cacheMu  sync.RWMutex
	cache    map[hmacSum]*Entry
	cacheMax int
}

type hooksBox struct{ h Hooks }

// NewStore opens the token store over conf.Storage, loading its HMAC salt
// or creating one.
func NewStore(ctx context.Context, conf Config) (*Store, error) {
	if conf.Storage == nil {
		return nil, errors.New("token store: no storage")
	}
	if conf.System == nil {
		return nil, errors.New("token store: no system view")
	}
	salt, err := loadOrCreateSalt(ctx, conf.Storage)
	if err != nil {
		return nil, fmt.Errorf("token store: %w", err)
	}
	logger := conf.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	size := conf.CacheSize
	if size <= 0 {
		size = defaultCacheSize
	}
	s := &Store{
		storage:  conf.Storage,
		system:   conf.System,
		logger:   logger,
		hasher:   newHasher(salt),
		cache:    make(map[hmacSum]*Entry),
		cacheMax: size,
	}
	s.SetHooks(conf.Hooks)
	return s, nil
}

// SetHooks sets the hooks; core calls it once it is built.
func (s *Store) SetHooks(h Hooks) {
	s.hooks.Store(&hooksBox{h: h})
}

func (s *Store) getHooks() Hooks {
	if b := s.hooks.Load(); b != nil {
		return b.h
	}
	return nil
}

func (s *Store) lock(sum hmacSum) *sync.RWMutex { return &s.locks[sum[0]] }

// Lookup returns the entry of token id, or nil when the token is unknown,
// revoked, spent or expired. An expired token is refused at once, whether
// or not it has been reaped.
func (s *Store) Lookup(ctx context.Context, id string) (*Entry, error) {
	if id == "" {
		return nil, nil
	}
	idBytes := []byte(id)
	sum := s.hasher.sumBytes(idBytes)
	now := s.system.Now()
	if e := s.cacheGet(sum); e != nil {
		if subtle.ConstantTimeCompare(e.idBytes, idBytes) != 1 || !e.live(now) {
			return nil, nil
		}
		return e.clone(), nil
	}

	l := s.lock(sum)
	l.RLock()
	defer l.RUnlock()
	e, err := s.load(ctx, sum)
	if err != nil {
		return nil, err
	}
	if e == nil || !e.live(now) {
		return nil, nil
	}
	e.ID = id
	s.cachePut(sum, e)
	return e.clone(), nil
}

// LookupAccessor returns the entry of the token with that accessor, with
// an empty ID, or nil as Lookup does.
func (s *Store) LookupAccessor(ctx context.Context, accessor string) (*Entry, error) {
	sum, ok, err := s.sumByAccessor(ctx, accessor)
	if err != nil || !ok {
		return nil, err
	}
	l := s.lock(sum)
	l.RLock()
	defer l.RUnlock()
	e, err := s.load(ctx, sum)
	if err != nil {
		return nil, err
	}
	if e == nil || !e.live(s.system.Now()) {
		return nil, nil
	}
	return e, nil
}

// load reads an entry from storage (no expiry or revocation check). The
// caller holds the token's lock.
func (s *Store) load(ctx context.Context, sum hmacSum) (*Entry, error) {
	raw, err := s.storage.Get(ctx, idPrefix+sum.hex())
	if err != nil {
		return nil, fmt.Errorf("read token entry: %w", err)
	}
	if raw == nil {
		return nil, nil
	}
	e := &Entry{}
	if err := json.Unmarshal(raw.Value, e); err != nil {
		return nil, fmt.Errorf("decode token entry: %w", err)
	}
	e.sum, e.hasSum = sum, true
	return e, nil
}

// put writes an entry; the caller holds the token's lock exclusively.
func (s *Store) put(ctx context.Context, e *Entry) error {
	b, err := jsonEntry(e)
	if err != nil {
		return err
	}
	if err := s.storage.Put(ctx, &logical.StorageEntry{Key: idPrefix + e.sum.hex(), Value: b}); err != nil {
		return fmt.Errorf("write token entry: %w", err)
	}
	return nil
}

// jsonEntry encodes an entry for storage; ID is never part of it.
func jsonEntry(e *Entry) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode token entry: %w", err)
	}
	return b, nil
}

// validAccessor rejects accessors that could not have been issued (and
// would make odd storage keys).
func validAccessor(a string) bool {
	if a == "" || len(a) > 128 {
		return false
	}
	for i := 0; i < len(a); i++ {
		if strings.IndexByte(base62Alphabet, a[i]) < 0 {
			return false
		}
	}
	return true
}

// sumByAccessor resolves an accessor to its token's HMAC.
func (s *Store) sumByAccessor(ctx context.Context, accessor string) (hmacSum, bool, error) {
	if !validAccessor(accessor) {
		return hmacSum{}, false, nil
	}
	raw, err := s.storage.Get(ctx, accessorPrefix+accessor)
	if err != nil {
		return hmacSum{}, false, fmt.Errorf("read accessor index: %w", err)
	}
	if raw == nil {
		return hmacSum{}, false, nil
	}
	sum, ok := parseSum(string(raw.Value))
	if !ok {
		return hmacSum{}, false, fmt.Errorf("accessor index entry is corrupt")
	}
	return sum, true, nil
}

// sumOf finds the HMAC of an entry: the one the store attached, else from
// its ID, else from its accessor.
func (s *Store) sumOf(ctx context.Context, e *Entry) (hmacSum, bool, error) {
	switch {
	case e == nil:
		return hmacSum{}, false, errors.New("nil token entry")
	case e.hasSum:
		return e.sum, true, nil
	case e.ID != "":
		return s.hasher.sum(e.ID), true, nil
	default:
		return s.sumByAccessor(ctx, e.Accessor)
	}
}

func (s *Store) cacheGet(sum hmacSum) *Entry {
	s.cacheMu.RLock()
	e := s.cache[sum]
	s.cacheMu.RUnlock()
	return e
}

// cachePut caches an entry that carries its ID. The caller holds the
// token's lock (shared is enough).
func (s *Store) cachePut(sum hmacSum, e *Entry) {
	if e.ID == "" {
		return
	}
	c := e.clone()
	c.idBytes = []byte(c.ID)
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if _, ok := s.cache[sum]; !ok && len(s.cache) >= s.cacheMax {
		for k := range s.cache { // evict an arbitrary entry
			delete(s.cache, k)
			break
		}
	}
	s.cache[sum] = c
}

// cacheDrop forgets a token; the caller holds the token's lock exclusively.
func (s *Store) cacheDrop(sum hmacSum) {
	s.cacheMu.Lock()
	delete(s.cache, sum)
	s.cacheMu.Unlock()
}

// cached reports whether a token is in the cache, for tests.
func (s *Store) cached(id string) bool {
	return s.cacheGet(s.hasher.sum(id)) != nil
}
