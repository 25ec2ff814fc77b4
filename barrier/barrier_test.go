package barrier

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/inmem"
	"github.com/vaultd/vaultd/storage/storagetest"
)

// fakeClock is a settable clock for install times.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// newUnsealed returns an initialised, unsealed barrier over phys, and its
// unseal key.
func newUnsealed(t testing.TB, phys storage.Backend, opts ...Option) (*Barrier, []byte) {
	t.Helper()
	ctx := context.Background()
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b := New(phys, opts...)
	if err := b.Initialize(ctx, key); err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	if !b.Sealed() {
		t.Fatal("Initialize left the barrier unsealed")
	}
	if err := b.Unseal(ctx, key); err != nil {
		t.Fatalf("Unseal: %v", err)
	}
	return b, key
}

func put(t testing.TB, b *Barrier, key, value string) {
	t.Helper()
	if err := b.Put(context.Background(), &storage.Entry{Key: key, Value: []byte(value)}); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func wantGet(t testing.TB, b *Barrier, key, want string) {
	t.Helper()
	e, err := b.Get(context.Background(), key)
	if err != nil || e == nil || string(e.Value) != want {
		t.Fatalf("Get(%q) = %v, %v; want %q", key, e, err, want)
	}
}

// closeless lets the conformance suite run against a barrier.
type closeless struct{ *Barrier }

func (closeless) Close() error { return nil }

func TestConformanceThroughBarrier(t *testing.T) {
	b, _ := newUnsealed(t, inmem.New())
	storagetest.Run(t, closeless{b})
}

func TestInitializeAndUnsealErrors(t *testing.T) {
	ctx := context.Background()
	phys := inmem.New()
	b := New(phys)
	if ok, err := b.Initialized(ctx); ok || err != nil {
		t.Fatalf("Initialized on empty storage = %v, %v", ok, err)
	}
	key, _ := GenerateKey()
	if err := b.Unseal(ctx, key); !errors.Is(err, ErrNotInitialized) {
		t.Fatalf("Unseal before Initialize: %v", err)
	}
	if err := b.Initialize(ctx, key[:16]); err == nil {
		t.Fatal("Initialize with a 16-byte key succeeded")
	}
	if phys.Len() != 0 {
		t.Fatal("a refused Initialize wrote to storage")
	}
	if err := b.Initialize(ctx, key); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Initialized(ctx); !ok || err != nil {
		t.Fatalf("Initialized after Initialize = %v, %v", ok, err)
	}
	if err := b.Initialize(ctx, key); !errors.Is(err, ErrAlreadyInitialized) {
		t.Fatalf("second Initialize: %v", err)
	}
	other, _ := GenerateKey()
	for name, k := range map[string][]byte{"wrong key": other, "short key": key[:31], "empty": nil} {
		if err := b.Unseal(ctx, k); !errors.Is(err, ErrBadUnsealKey) {
			t.Errorf("Unseal with %s: %v", name, err)
		}
		if !b.Sealed() {
			t.Fatalf("Unseal with %s unsealed", name)
		}
	}
	if err := b.Unseal(ctx, key); err != nil || b.Sealed() {
		t.Fatalf("Unseal with the right key: %v", err)
	}
	// Unsealing again checks the key.
	if err := b.Unseal(ctx, key); err != nil {
		t.Fatalf("repeated Unseal: %v", err)
	}
	if err := b.Unseal(ctx, other); !errors.Is(err, ErrBadUnsealKey) {
		t.Fatalf("wrong key on an unsealed barrier: %v", err)
	}
}

func TestSealedRefusesEverything(t *testing.T) {
	ctx := context.Background()
	b, _ := newUnsealed(t, inmem.New())
	put(t, b, "secret/a", "v")
	b.Seal()
	if !b.Sealed() {
		t.Fatal("Sealed() false after Seal")
	}
	_, _, ksErr := b.KeyStatus(ctx)
	_, rotErr := b.Rotate(ctx)
	_, getErr := b.Get(ctx, "secret/a")
	_, listErr := b.List(ctx, "")
	ops := map[string]error{
		"Get":       getErr,
		"Put":       b.Put(ctx, &storage.Entry{Key: "secret/b", Value: []byte("v")}),
		"Delete":    b.Delete(ctx, "secret/a"),
		"List":      listErr,
		"Commit":    b.Commit(ctx, []storage.Op{{Key: "secret/c", Value: []byte("v")}}),
		"Rotate":    rotErr,
		"KeyStatus": ksErr,
		"Reserved":  b.Put(ctx, &storage.Entry{Key: RootKeyPath, Value: []byte("v")}),
	}
	for name, err := range ops {
		if !errors.Is(err, ErrSealed) {
			t.Errorf("%s while sealed: %v, want ErrSealed", name, err)
		}
	}
}

func TestSealZeroesKeys(t *testing.T) {
	b, _ := newUnsealed(t, inmem.New())
	if _, err := b.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	k := b.keys.Load()
	held := [][]byte{k.rootKey, k.terms[0].key, k.terms[1].key}
	for _, h := range held {
		if bytes.Equal(h, make([]byte, KeySize)) {
			t.Fatal("a key is all zeroes before Seal")
		}
	}
	b.Seal()
	for i, h := range held {
		if !bytes.Equal(h, make([]byte, KeySize)) {
			t.Fatalf("key %d not zeroed by Seal", i)
		}
	}
	if b.keys.Load() != nil {
		t.Fatal("keyring still reachable after Seal")
	}
}

func TestReservedKeys(t *testing.T) {
	ctx := context.Background()
	phys := inmem.New()
	b, _ := newUnsealed(t, phys)
	if err := phys.Put(ctx, &storage.Entry{Key: SealConfigPath, Value: []byte(`{"type":"shamir"}`)}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{SealConfigPath, RootKeyPath, KeyringPath} {
		before, _ := phys.Get(ctx, key)
		_, getErr := b.Get(ctx, key)
		errs := map[string]error{
			"Get":    getErr,
			"Put":    b.Put(ctx, &storage.Entry{Key: key, Value: []byte("x")}),
			"Delete": b.Delete(ctx, key),
			"Commit": b.Commit(ctx, []storage.Op{{Key: "ok/key", Value: []byte("x")}, {Key: key, Delete: true}}),
		}
		for op, err := range errs {
			if !errors.Is(err, ErrReservedKey) {
				t.Errorf("%s(%q): %v, want ErrReservedKey", op, key, err)
			}
		}
		after, _ := phys.Get(ctx, key)
		if !bytes.Equal(before.Value, after.Value) {
			t.Errorf("%q changed through the barrier", key)
		}
	}
	if e, _ := phys.Get(ctx, "ok/key"); e != nil {
		t.Fatal("a Commit refused for a reserved key wrote its other ops")
	}
	put(t, b, "core/mounts", "m")
	names, err := b.List(ctx, "core/")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != "mounts" {
		t.Fatalf("List(core/) = %q, want only mounts", names)
	}
}

func TestCiphertextLayout(t *testing.T) {
	ctx := context.Background()
	phys := inmem.New()
	b, _ := newUnsealed(t, phys)
	value := "a known plaintext value"
	put(t, b, "secret/x", value)
	put(t, b, "secret/y", value)
	x, _ := phys.Get(ctx, "secret/x")
	y, _ := phys.Get(ctx, "secret/y")
	if bytes.Contains(x.Value, []byte(value)) {
		t.Fatal("plaintext visible in storage")
	}
	if len(x.Value) != headerSize+nonceSize+len(value)+tagSize {
		t.Fatalf("ciphertext is %d bytes", len(x.Value))
	}
	if term := binary.BigEndian.Uint32(x.Value); term != 1 || x.Value[4] != formatVersion {
		t.Fatalf("header = % x", x.Value[:headerSize])
	}
	if bytes.Equal(x.Value[headerSize:headerSize+nonceSize], y.Value[headerSize:headerSize+nonceSize]) {
		t.Fatal("two writes share a nonce")
	}
	put(t, b, "secret/x", value)
	x2, _ := phys.Get(ctx, "secret/x")
	if bytes.Equal(x.Value, x2.Value) {
		t.Fatal("rewriting the same value produced the same ciphertext")
	}
}

// Every single-byte flip of a stored ciphertext must fail to read.
func TestTamperedCiphertext(t *testing.T) {
	ctx := context.Background()
	phys := inmem.New()
	b, _ := newUnsealed(t, phys)
	put(t, b, "secret/t", "tamper me")
	orig, _ := phys.Get(ctx, "secret/t")
	for i := range orig.Value {
		t.Run(fmt.Sprintf("byte %d", i), func(t *testing.T) {
			bad := bytes.Clone(orig.Value)
			bad[i] ^= 0x01
			if err := phys.Put(ctx, &storage.Entry{Key: "secret/t", Value: bad}); err != nil {
				t.Fatal(err)
			}
			e, err := b.Get(ctx, "secret/t")
			if !errors.Is(err, ErrDecrypt) || e != nil {
				t.Fatalf("Get of a tampered entry = %v, %v; want ErrDecrypt", e, err)
			}
		})
	}
	for _, n := range []int{0, 1, headerSize, headerSize + nonceSize + tagSize - 1} {
		if err := phys.Put(ctx, &storage.Entry{Key: "secret/t", Value: orig.Value[:n]}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Get(ctx, "secret/t"); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("Get of a %d-byte truncation: %v", n, err)
		}
	}
}

func TestCopiedToAnotherPath(t *testing.T) {
	ctx := context.Background()
	phys := inmem.New()
	b, _ := newUnsealed(t, phys)
	put(t, b, "secret/mine", "only here")
	e, _ := phys.Get(ctx, "secret/mine")
	for _, dst := range []string{"secret/theirs", "secret/mine2", "secret/min", "logical/x/secret/mine"} {
		if err := phys.Put(ctx, &storage.Entry{Key: dst, Value: e.Value}); err != nil {
			t.Fatal(err)
		}
		got, err := b.Get(ctx, dst)
		if !errors.Is(err, ErrDecrypt) || got != nil {
			t.Errorf("Get(%q) of a copied entry = %v, %v; want ErrDecrypt", dst, got, err)
		}
	}
	wantGet(t, b, "secret/mine", "only here")
}

func TestRotate(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)}
	phys := inmem.New()
	b, key := newUnsealed(t, phys, WithClock(clock.Now))
	term, installed, err := b.KeyStatus(ctx)
	if err != nil || term != 1 || !installed.Equal(clock.Now()) {
		t.Fatalf("KeyStatus = %d, %v, %v", term, installed, err)
	}
	put(t, b, "old", "written under term 1")

	rotatedAt := time.Date(2025, 6, 7, 8, 9, 10, 11, time.UTC)
	clock.Set(rotatedAt)
	term, err = b.Rotate(ctx)
	if err != nil || term != 2 {
		t.Fatalf("Rotate = %d, %v", term, err)
	}
	put(t, b, "new", "written under term 2")
	for key, want := range map[string]uint32{"old": 1, "new": 2} {
		e, _ := phys.Get(ctx, key)
		if got := binary.BigEndian.Uint32(e.Value); got != want {
			t.Errorf("%q carries term %d, want %d", key, got, want)
		}
	}
	wantGet(t, b, "old", "written under term 1")
	wantGet(t, b, "new", "written under term 2")
	term, installed, err = b.KeyStatus(ctx)
	if err != nil || term != 2 || !installed.Equal(rotatedAt) {
		t.Fatalf("KeyStatus after Rotate = %d, %v, %v", term, installed, err)
	}

	// The rotated keyring is what storage holds: a fresh barrier sees it.
	b2 := New(phys)
	if err := b2.Unseal(ctx, key); err != nil {
		t.Fatal(err)
	}
	wantGet(t, b2, "old", "written under term 1")
	wantGet(t, b2, "new", "written under term 2")
	term, installed, err = b2.KeyStatus(ctx)
	if err != nil || term != 2 || !installed.Equal(rotatedAt) {
		t.Fatalf("KeyStatus after reload = %d, %v, %v", term, installed, err)
	}
}

// A ciphertext naming a term the keyring does not have is a read error.
func TestUnknownTerm(t *testing.T) {
	ctx := context.Background()
	phys := inmem.New()
	b, _ := newUnsealed(t, phys)
	put(t, b, "k", "v")
	e, _ := phys.Get(ctx, "k")
	for _, term := range []uint32{0, 2, 1 << 31} {
		bad := bytes.Clone(e.Value)
		binary.BigEndian.PutUint32(bad, term)
		_ = phys.Put(ctx, &storage.Entry{Key: "k", Value: bad})
		if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrDecrypt) {
			t.Errorf("term %d: %v", term, err)
		}
	}
}

// A damaged keyring or root key entry keeps the barrier sealed.
func TestCorruptSealEntries(t *testing.T) {
	ctx := context.Background()
	for _, path := range []string{RootKeyPath, KeyringPath} {
		t.Run(path, func(t *testing.T) {
			phys := inmem.New()
			b, key := newUnsealed(t, phys)
			b.Seal()
			e, _ := phys.Get(ctx, path)
			bad := bytes.Clone(e.Value)
			bad[len(bad)-1] ^= 0x80
			_ = phys.Put(ctx, &storage.Entry{Key: path, Value: bad})
			if err := b.Unseal(ctx, key); err == nil || !b.Sealed() {
				t.Fatalf("Unseal over a corrupt %s: %v", path, err)
			}
		})
	}
}

func TestKeyringEncoding(t *testing.T) {
	now := time.Unix(1700000000, 123).UTC()
	var terms []*termKey
	for i := uint32(1); i <= 3; i++ {
		tk, err := newTermKey(i, bytes.Repeat([]byte{byte(i)}, KeySize), now.Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		terms = append(terms, tk)
	}
	buf := encodeTerms(terms)
	got, err := decodeTerms(bytes.Clone(buf))
	if err != nil || len(got) != 3 {
		t.Fatalf("decodeTerms = %d terms, %v", len(got), err)
	}
	for i, tk := range got {
		if tk.term != terms[i].term || !bytes.Equal(tk.key, terms[i].key) || !tk.installed.Equal(terms[i].installed) {
			t.Fatalf("term %d round-tripped as %+v", i+1, tk)
		}
	}
	bad := map[string][]byte{
		"empty":         nil,
		"version":       append([]byte{9}, buf[1:]...),
		"truncated":     buf[:len(buf)-1],
		"zero terms":    {keyringVersion, 0, 0, 0, 0},
		"count too big": append([]byte{keyringVersion, 0, 0, 0, 4}, buf[5:]...),
		"term gap":      func() []byte { c := bytes.Clone(buf); c[5+3] = 2; return c }(),
	}
	for name, in := range bad {
		if _, err := decodeTerms(in); err == nil {
			t.Errorf("decodeTerms(%s) succeeded", name)
		}
	}
}

func TestConcurrentUseWithRotateAndSeal(t *testing.T) {
	ctx := context.Background()
	b, key := newUnsealed(t, inmem.New())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				k := fmt.Sprintf("c/%d/%d", w, i)
				err := b.Put(ctx, &storage.Entry{Key: k, Value: []byte(k)})
				if err != nil && !errors.Is(err, ErrSealed) {
					t.Error(err)
					return
				}
				e, err := b.Get(ctx, k)
				if err != nil && !errors.Is(err, ErrSealed) {
					t.Error(err)
					return
				}
				if e != nil && string(e.Value) != k {
					t.Errorf("read %q for %q", e.Value, k)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 5 {
			if _, err := b.Rotate(ctx); err != nil {
				t.Error(err)
			}
			_, _, _ = b.KeyStatus(ctx)
		}
		b.Seal()
		if err := b.Unseal(ctx, key); err != nil {
			t.Error(err)
		}
	}()
	wg.Wait()
	if term, _, err := b.KeyStatus(ctx); err != nil || term != 6 {
		t.Fatalf("KeyStatus = %d, %v", term, err)
	}
}
