package barrier

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/vaultd/vaultd/storage/inmem"
)

// TestJoinChallenge: the holder of the unseal key reads the challenge; a
// wrong key does not, and a challenge does not open as a stored entry.
func TestJoinChallenge(t *testing.T) {
	ctx := context.Background()
	b := New(inmem.New())
	key, _ := GenerateKey()
	if err := b.Initialize(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := b.Unseal(ctx, key); err != nil {
		t.Fatal(err)
	}
	nonce := []byte("0123456789abcdef0123456789abcdef")
	ch, err := b.SealChallenge(nonce)
	if err != nil {
		t.Fatal(err)
	}
	blob, err := b.RootKeyBlob(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenChallenge(key, blob, ch)
	if err != nil || !bytes.Equal(got, nonce) {
		t.Fatalf("open with the unseal key: %q, %v", got, err)
	}
	wrong, _ := GenerateKey()
	if _, err := OpenChallenge(wrong, blob, ch); !errors.Is(err, ErrBadUnsealKey) {
		t.Fatalf("open with a wrong key: %v", err)
	}
	if err := b.ReloadKeyring(ctx); err != nil {
		t.Fatalf("reload: %v", err)
	}
}
