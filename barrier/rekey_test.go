package barrier

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/vaultd/vaultd/storage"
)

// After Rekey on bbolt, the new unseal key opens the reopened store and the
// old one does not; the extra op lands in the same commit.
func TestRekeyOnBbolt(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vault.db")
	phys := openBolt(t, path)
	b, oldKey := newUnsealed(t, phys)
	put(t, b, "secret/data/app", "kept")
	oldRoot := append([]byte(nil), b.keys.Load().rootKey...)
	newKey, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Rekey(ctx, newKey[:5]); err == nil {
		t.Fatal("a short unseal key was accepted")
	}
	if err := b.Rekey(ctx, newKey, storage.Op{Key: SealConfigPath, Value: []byte(`{"secret_shares":3}`)}); err != nil {
		t.Fatalf("Rekey: %v", err)
	}
	// Still unsealed and serving, under a new root key that the old one
	// does not replace: the old root key opens no stored keyring.
	put(t, b, "secret/data/after", "new")
	if bytes.Equal(b.keys.Load().rootKey, oldRoot) {
		t.Fatal("the root key was not replaced")
	}
	if _, err := b.openKeyring(ctx, oldRoot); err == nil {
		t.Fatal("the old root key still opens the stored keyring")
	}
	b.Seal()
	if err := b.Rekey(ctx, newKey); !errors.Is(err, ErrSealed) {
		t.Fatalf("Rekey while sealed: %v", err)
	}
	if err := phys.Close(); err != nil {
		t.Fatal(err)
	}

	phys = openBolt(t, path)
	defer phys.Close()
	b = New(phys)
	if err := b.Unseal(ctx, oldKey); !errors.Is(err, ErrBadUnsealKey) {
		t.Fatalf("old key after rekey: %v", err)
	}
	if err := b.Unseal(ctx, newKey); err != nil {
		t.Fatalf("new key after rekey: %v", err)
	}
	wantGet(t, b, "secret/data/app", "kept")
	wantGet(t, b, "secret/data/after", "new")
	e, err := phys.Get(ctx, SealConfigPath)
	if err != nil || e == nil || string(e.Value) != `{"secret_shares":3}` {
		t.Fatalf("extra op not committed: %v %v", e, err)
	}
}
