package barrier

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
)

// Ciphertext layout: term (4, big endian) | version (1) | nonce (12) | sealed value.
const (
	// KeySize is the size of every key: unseal key, root key, term keys.
	KeySize = 32
	// formatVersion identifies this layout (AES-256-GCM, header and path
	// as additional data).
	formatVersion byte = 1
	headerSize    int  = 5
	nonceSize     int  = 12
	tagSize       int  = 16
	// sealTerm is the term recorded on the root key and keyring blobs,
	// which are not sealed by a keyring term.
	sealTerm uint32 = 0
)

// GenerateKey returns KeySize random bytes, fit for an unseal key.
func GenerateKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("barrier: generate key: %w", err)
	}
	return key, nil
}

// newAEAD builds the AES-256-GCM AEAD for key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("barrier: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("barrier: aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("barrier: gcm: %w", err)
	}
	return aead, nil
}

// additionalData binds the header and the storage path.
func additionalData(header []byte, path string) []byte {
	ad := make([]byte, 0, len(header)+len(path))
	return append(append(ad, header...), path...)
}

// encrypt seals plaintext for path under aead, recording term.
func encrypt(aead cipher.AEAD, term uint32, path string, plaintext []byte) ([]byte, error) {
	out := make([]byte, headerSize+nonceSize, headerSize+nonceSize+len(plaintext)+tagSize)
	binary.BigEndian.PutUint32(out, term)
	out[4] = formatVersion
	nonce := out[headerSize : headerSize+nonceSize]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("barrier: nonce: %w", err)
	}
	return aead.Seal(out, nonce, plaintext, additionalData(out[:headerSize], path)), nil
}

// termOf reads the term from a ciphertext's header, checking its version
// and minimum length.
func termOf(ciphertext []byte) (uint32, error) {
	if len(ciphertext) < headerSize+nonceSize+tagSize {
		return 0, fmt.Errorf("%w: %d bytes is too short", ErrDecrypt, len(ciphertext))
	}
	if v := ciphertext[4]; v != formatVersion {
		return 0, fmt.Errorf("%w: unknown format version %d", ErrDecrypt, v)
	}
	return binary.BigEndian.Uint32(ciphertext), nil
}

// decrypt opens a ciphertext stored at path. The caller has already
// checked the header with termOf and picked aead by its term.
func decrypt(aead cipher.AEAD, path string, ciphertext []byte) ([]byte, error) {
	nonce := ciphertext[headerSize : headerSize+nonceSize]
	plain, err := aead.Open(nil, nonce, ciphertext[headerSize+nonceSize:], additionalData(ciphertext[:headerSize], path))
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

// sealBlob encrypts one of the plaintext seal entries (root key, keyring)
// under key.
func sealBlob(key []byte, path string, plaintext []byte) ([]byte, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return encrypt(aead, sealTerm, path, plaintext)
}

// openBlob decrypts a seal entry written by sealBlob.
func openBlob(aead cipher.AEAD, path string, blob []byte) ([]byte, error) {
	term, err := termOf(blob)
	if err != nil {
		return nil, err
	}
	if term != sealTerm {
		return nil, fmt.Errorf("%w: %s carries term %d", ErrDecrypt, path, term)
	}
	return decrypt(aead, path, blob)
}
