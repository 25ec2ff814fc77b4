package barrier

import (
	"context"
	"fmt"
)

// challengePath is the AAD of a join challenge: a blob sealed for it opens
// only as a challenge, never as a stored entry.
const challengePath = "core/raft-join-challenge"

// ReloadKeyring re-reads the keyring with the root key held in memory: a
// standby that becomes active picks up terms the old active node added.
func (b *Barrier) ReloadKeyring(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur := b.keys.Load()
	if cur == nil {
		return ErrSealed
	}
	rootKey := append([]byte(nil), cur.rootKey...)
	terms, err := b.openKeyring(ctx, rootKey)
	if err != nil {
		clear(rootKey)
		return err
	}
	b.keys.Store(&keyring{rootKey: rootKey, terms: terms})
	return nil
}

// SealChallenge encrypts a join challenge under the root key. Only a node
// that can open the root key blob, that is one holding the unseal key, can
// read it back with OpenChallenge.
func (b *Barrier) SealChallenge(plain []byte) ([]byte, error) {
	k := b.keys.Load()
	if k == nil {
		return nil, ErrSealed
	}
	return sealBlob(k.rootKey, challengePath, plain)
}

// RootKeyBlob is the stored root key, encrypted under the unseal key; a
// joining node needs it to answer a challenge.
func (b *Barrier) RootKeyBlob(ctx context.Context) ([]byte, error) {
	e, err := b.phys.Get(ctx, RootKeyPath)
	if err != nil {
		return nil, fmt.Errorf("barrier: read root key: %w", err)
	}
	if e == nil {
		return nil, ErrNotInitialized
	}
	return e.Value, nil
}

// OpenChallenge opens a challenge made by SealChallenge: the unseal key
// opens the root key blob, the root key the challenge. A wrong unseal key
// gives ErrBadUnsealKey.
func OpenChallenge(unsealKey, rootKeyBlob, challenge []byte) ([]byte, error) {
	if len(unsealKey) != KeySize {
		return nil, ErrBadUnsealKey
	}
	aead, err := newAEAD(unsealKey)
	if err != nil {
		return nil, err
	}
	rootKey, err := openBlob(aead, RootKeyPath, rootKeyBlob)
	if err != nil {
		return nil, ErrBadUnsealKey
	}
	defer clear(rootKey)
	aead, err = newAEAD(rootKey)
	if err != nil {
		return nil, err
	}
	plain, err := openBlob(aead, challengePath, challenge)
	if err != nil {
		return nil, fmt.Errorf("barrier: open challenge: %w", ErrDecrypt)
	}
	return plain, nil
}

// snapshotSumsPath is the AAD of a snapshot's sealed checksums.
const snapshotSumsPath = "core/raft-snapshot-sums"

// SealSnapshotSums seals a snapshot's checksums under the root key: a
// restore that can open them knows the snapshot is this cluster's.
func (b *Barrier) SealSnapshotSums(sums []byte) ([]byte, error) {
	k := b.keys.Load()
	if k == nil {
		return nil, ErrSealed
	}
	return sealBlob(k.rootKey, snapshotSumsPath, sums)
}

// OpenSnapshotSums opens what SealSnapshotSums sealed; a snapshot from
// another cluster gives ErrDecrypt.
func (b *Barrier) OpenSnapshotSums(blob []byte) ([]byte, error) {
	k := b.keys.Load()
	if k == nil {
		return nil, ErrSealed
	}
	aead, err := newAEAD(k.rootKey)
	if err != nil {
		return nil, err
	}
	plain, err := openBlob(aead, snapshotSumsPath, blob)
	if err != nil {
		return nil, fmt.Errorf("barrier: snapshot checksums: %w", ErrDecrypt)
	}
	return plain, nil
}
