package barrier

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// termKey is one term of the keyring with its ready-made AEAD, so no key
// schedule is computed on the request path.
type termKey struct {
	term      uint32
	key       []byte
	aead      cipher.AEAD
	installed time.Time
	// encryptions counts the writes sealed under this term since unseal,
	// for sys/key-status and automatic rotation.
	encryptions atomic.Uint64
}

// keyring is an immutable snapshot of the unsealed key material. Rotate
// publishes a new snapshot; Seal drops it and zeroes the keys.
type keyring struct {
	rootKey []byte
	terms   []*termKey // terms[i].term == i+1
}

// active is the term new writes use: always the newest.
func (k *keyring) active() *termKey { return k.terms[len(k.terms)-1] }

// term returns the key of term t, or nil when the keyring has none.
func (k *keyring) term(t uint32) *termKey {
	if t == 0 || uint64(t) > uint64(len(k.terms)) {
		return nil
	}
	return k.terms[t-1]
}

// withNewTerm returns a copy of k with one more term.
func (k *keyring) withNewTerm(key []byte, installed time.Time) (*keyring, error) {
	next := uint64(len(k.terms)) + 1
	if next > uint64(^uint32(0)) {
		return nil, errors.New("barrier: key term space exhausted")
	}
	tk, err := newTermKey(uint32(next), key, installed)
	if err != nil {
		return nil, err
	}
	terms := make([]*termKey, len(k.terms), len(k.terms)+1)
	copy(terms, k.terms)
	return &keyring{rootKey: k.rootKey, terms: append(terms, tk)}, nil
}

// zero overwrites every key held by k. The AEADs keep their own expanded
// key schedules, which Go gives no way to wipe; once the snapshot is
// dropped they become unreachable. (They are not set to nil: a request in
// flight may still hold the snapshot.)
func (k *keyring) zero() {
	clear(k.rootKey)
	for _, t := range k.terms {
		clear(t.key)
	}
}

func newTermKey(term uint32, key []byte, installed time.Time) (*termKey, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &termKey{term: term, key: key, aead: aead, installed: installed.UTC()}, nil
}

// Keyring encoding (the plaintext sealed at core/keyring):
//
//	version (1) | count (4) | count × [ term (4) | installed unix nanos (8) | key (32) ]
const (
	keyringVersion byte = 1
	termRecordSize      = 4 + 8 + KeySize
)

// encodeTerms serialises the terms; the caller zeroes the result after use.
func encodeTerms(terms []*termKey) []byte {
	buf := make([]byte, 5, 5+len(terms)*termRecordSize)
	buf[0] = keyringVersion
	binary.BigEndian.PutUint32(buf[1:], uint32(len(terms)))
	for _, t := range terms {
		buf = binary.BigEndian.AppendUint32(buf, t.term)
		buf = binary.BigEndian.AppendUint64(buf, uint64(t.installed.UnixNano()))
		buf = append(buf, t.key...)
	}
	return buf
}

// decodeTerms parses an encoded keyring, copying the keys out of buf.
func decodeTerms(buf []byte) ([]*termKey, error) {
	terms, err := parseTerms(buf)
	if err != nil {
		(&keyring{terms: terms}).zero()
		return nil, err
	}
	return terms, nil
}

func parseTerms(buf []byte) ([]*termKey, error) {
	if len(buf) < 5 || buf[0] != keyringVersion {
		return nil, errors.New("barrier: keyring: unknown format")
	}
	count := binary.BigEndian.Uint32(buf[1:])
	body := buf[5:]
	if count == 0 || uint64(len(body)) != uint64(count)*termRecordSize {
		return nil, fmt.Errorf("barrier: keyring: %d bytes do not hold %d terms", len(body), count)
	}
	terms := make([]*termKey, 0, count)
	for i := range count {
		rec := body[int(i)*termRecordSize : int(i+1)*termRecordSize]
		term := binary.BigEndian.Uint32(rec)
		if term != i+1 {
			return terms, fmt.Errorf("barrier: keyring: term %d found where %d was expected", term, i+1)
		}
		installed := time.Unix(0, int64(binary.BigEndian.Uint64(rec[4:])))
		key := append([]byte(nil), rec[12:]...)
		tk, err := newTermKey(term, key, installed)
		if err != nil {
			return terms, err
		}
		terms = append(terms, tk)
	}
	return terms, nil
}
