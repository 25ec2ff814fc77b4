// Package barrier encrypts every logical entry before it reaches physical
// storage.
//
// Entries are sealed with AES-256-GCM under the key of the active term of a
// keyring. A ciphertext starts with a 5-byte header — the term (4 bytes, big
// endian) and a format version byte — followed by a fresh random 12-byte
// nonce and the sealed value. The header and the entry's storage path are
// the GCM additional data, so a ciphertext moved to another path, or edited
// in any byte, fails to decrypt.
//
// The keyring is stored at "core/keyring", sealed by a random root key; the
// root key is stored at "core/root-key", sealed by the unseal key (which the
// unseal ceremony rebuilds from Shamir shares). Those two entries and the
// seal configuration at "core/seal-config" are the only physical entries
// outside encryption, and the barrier refuses logical access to all three.
//
// Rotate adds a term: new writes use it, entries written under older terms
// stay readable. Seal forgets and zeroes the key material held in memory;
// a sealed barrier refuses every operation with ErrSealed.
//
// View (view.go) is a prefixed logical.Storage over the barrier, the only
// storage an engine ever sees.
package barrier
