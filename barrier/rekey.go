package barrier

import (
	"context"
	"fmt"

	"github.com/vaultd/vaultd/storage"
)

// Rekey wraps the root key in use with a new unseal key and stores it, with
// any extra ops (the new seal configuration), in one atomic commit. From
// then on only newUnsealKey unseals; the old one no longer opens the root
// key. The keyring and the data are untouched.
func (b *Barrier) Rekey(ctx context.Context, newUnsealKey []byte, extra ...storage.Op) error {
	if len(newUnsealKey) != KeySize {
		return fmt.Errorf("barrier: unseal key must be %d bytes, got %d", KeySize, len(newUnsealKey))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	cur := b.keys.Load()
	if cur == nil {
		return ErrSealed
	}
	blob, err := sealBlob(newUnsealKey, RootKeyPath, cur.rootKey)
	if err != nil {
		return err
	}
	ops := append([]storage.Op{{Key: RootKeyPath, Value: blob}}, extra...)
	if err := b.phys.Commit(ctx, ops); err != nil {
		return fmt.Errorf("barrier: store rekeyed root key: %w", err)
	}
	return nil
}

// Encryptions returns how many writes the active term has sealed since the
// barrier was unsealed (or the term installed); 0 while sealed.
func (b *Barrier) Encryptions() uint64 {
	k := b.keys.Load()
	if k == nil {
		return 0
	}
	return k.active().encryptions.Load()
}
