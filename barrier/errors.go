package barrier

import "errors"

// Errors returned by the barrier, possibly wrapped; compare with errors.Is.
var (
	// ErrSealed is returned by every logical operation while sealed.
	ErrSealed = errors.New("barrier is sealed")
	// ErrBadUnsealKey means the unseal key does not open the root key.
	ErrBadUnsealKey = errors.New("unseal key is not correct")
	// ErrNotInitialized means there is no root key in storage yet.
	ErrNotInitialized = errors.New("barrier is not initialized")
	// ErrAlreadyInitialized refuses a second Initialize.
	ErrAlreadyInitialized = errors.New("barrier is already initialized")
	// ErrReservedKey refuses logical access to the plaintext seal entries.
	ErrReservedKey = errors.New("key is reserved for the seal")
	// ErrDecrypt means a stored ciphertext failed authentication: it was
	// tampered with, truncated, moved to another path, or sealed under an
	// unknown term.
	ErrDecrypt = errors.New("ciphertext failed to decrypt")
)
