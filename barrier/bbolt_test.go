package barrier

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/bbolt"
)

func openBolt(t testing.TB, path string) *bbolt.Backend {
	t.Helper()
	phys, err := bbolt.Open(path, nil)
	if err != nil {
		t.Fatalf("bbolt.Open: %v", err)
	}
	return phys
}

// Initialize → Unseal → write → close → reopen: sealed → Unseal with the
// same key → the data reads back; a wrong key keeps it sealed.
func TestBboltRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vault.db")
	phys := openBolt(t, path)
	b, key := newUnsealed(t, phys)
	put(t, b, "secret/data/app", `{"password":"hunter2"}`)
	put(t, b, "sys/token/id/abc", "token entry")
	if _, err := b.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	put(t, b, "secret/data/after-rotate", "term two")
	b.Seal()
	if err := phys.Close(); err != nil {
		t.Fatal(err)
	}

	phys = openBolt(t, path)
	defer phys.Close()
	b = New(phys)
	if !b.Sealed() {
		t.Fatal("a reopened barrier is unsealed")
	}
	if ok, err := b.Initialized(ctx); !ok || err != nil {
		t.Fatalf("Initialized after reopen = %v, %v", ok, err)
	}
	if _, err := b.Get(ctx, "secret/data/app"); !errors.Is(err, ErrSealed) {
		t.Fatalf("Get before unseal: %v", err)
	}
	wrong, _ := GenerateKey()
	if err := b.Unseal(ctx, wrong); !errors.Is(err, ErrBadUnsealKey) || !b.Sealed() {
		t.Fatalf("Unseal with a wrong key: %v", err)
	}
	if err := b.Unseal(ctx, key); err != nil {
		t.Fatalf("Unseal after reopen: %v", err)
	}
	wantGet(t, b, "secret/data/app", `{"password":"hunter2"}`)
	wantGet(t, b, "sys/token/id/abc", "token entry")
	wantGet(t, b, "secret/data/after-rotate", "term two")
	if term, _, _ := b.KeyStatus(ctx); term != 2 {
		t.Fatalf("term after reopen = %d, want 2", term)
	}
}

// The database file holds no plaintext value and no key, in any common
// encoding; the file is mode 0600.
func TestBboltFileHoldsNoSecrets(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vault.db")
	phys := openBolt(t, path)
	b, unsealKey := newUnsealed(t, phys)
	const canary = "plaintext-canary-8c1f0e7a-do-not-leak"
	put(t, b, "secret/data/canary", canary)
	if err := b.Commit(ctx, []storage.Op{{Key: "secret/data/canary2", Value: []byte(canary + "-2")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	put(t, b, "secret/data/canary3", canary+"-3")
	k := b.keys.Load()
	secrets := map[string][]byte{
		"canary":     []byte(canary),
		"unseal key": unsealKey,
		"root key":   bytes.Clone(k.rootKey),
		"term 1 key": bytes.Clone(k.terms[0].key),
		"term 2 key": bytes.Clone(k.terms[1].key),
	}
	if err := phys.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("secret/data/canary")) {
		t.Fatal("sanity: the entry's path is not in the file; is this the right file?")
	}
	for name, s := range secrets {
		for enc, form := range map[string][]byte{
			"raw":    s,
			"hex":    []byte(hex.EncodeToString(s)),
			"base64": []byte(base64.StdEncoding.EncodeToString(s)),
		} {
			if bytes.Contains(raw, form) {
				t.Errorf("the %s appears (%s) in the bbolt file", name, enc)
			}
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, want 0600", fi.Mode().Perm())
	}
}

// Tampering and moving entries in the real file format, through bbolt.
func TestBboltTamperAndMove(t *testing.T) {
	ctx := context.Background()
	phys := openBolt(t, filepath.Join(t.TempDir(), "vault.db"))
	defer phys.Close()
	b, _ := newUnsealed(t, phys)
	put(t, b, "secret/a", "value a")
	e, err := phys.Get(ctx, "secret/a")
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(e.Value)
	flipped[len(flipped)/2] ^= 0x04
	if err := phys.Put(ctx, &storage.Entry{Key: "secret/flipped", Value: flipped}); err != nil {
		t.Fatal(err)
	}
	if err := phys.Put(ctx, &storage.Entry{Key: "secret/moved", Value: e.Value}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"secret/flipped", "secret/moved"} {
		got, err := b.Get(ctx, key)
		if !errors.Is(err, ErrDecrypt) || got != nil {
			t.Errorf("Get(%q) = %v, %v; want ErrDecrypt", key, got, err)
		}
	}
	wantGet(t, b, "secret/a", "value a")
}
