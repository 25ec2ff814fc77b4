package barrier

import "fmt"

// Encrypt seals a value that is handed out rather than stored (a batch
// token) under the keyring's active term. aad plays the part a storage
// path plays for an entry: a value sealed for one use does not open for
// another.
func (b *Barrier) Encrypt(aad string, plaintext []byte) ([]byte, error) {
	k := b.keys.Load()
	if k == nil {
		return nil, ErrSealed
	}
	out, err := k.seal(aad, plaintext)
	if err != nil {
		return nil, fmt.Errorf("barrier: encrypt: %w", err)
	}
	return out, nil
}

// Decrypt opens a value sealed by Encrypt with the same aad, under
// whichever term sealed it.
func (b *Barrier) Decrypt(aad string, ciphertext []byte) ([]byte, error) {
	k := b.keys.Load()
	if k == nil {
		return nil, ErrSealed
	}
	return k.open(aad, ciphertext)
}
