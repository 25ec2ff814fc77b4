package barrier

import (
	"context"
	"fmt"

	"github.com/vaultd/vaultd/storage"
)

// Rekey replaces the root key with a new one, seals the keyring with it
// and wraps it with a new unseal key, and stores both, with any extra ops
// (the new seal configuration), in one atomic commit. From then on only
// newUnsealKey unseals, and a root key recovered with the old shares opens
// neither the new keyring nor anything written after. The term keys, and
// so the data, are unchanged.
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
	rootKey, err := GenerateKey()
	if err != nil {
		return err
	}
	keyringBlob, err := sealKeyring(rootKey, cur.terms)
	if err != nil {
		clear(rootKey)
		return err
	}
	rootBlob, err := sealBlob(newUnsealKey, RootKeyPath, rootKey)
	if err != nil {
		clear(rootKey)
		return err
	}
	ops := append([]storage.Op{{Key: KeyringPath, Value: keyringBlob}, {Key: RootKeyPath, Value: rootBlob}}, extra...)
	if err := b.phys.Commit(ctx, ops); err != nil {
		clear(rootKey)
		return fmt.Errorf("barrier: store rekeyed root key: %w", err)
	}
	// The old snapshot's root key is not zeroed: requests in flight may
	// hold it, and it opens nothing stored any more.
	b.keys.Store(&keyring{rootKey: rootKey, terms: cur.terms})
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
