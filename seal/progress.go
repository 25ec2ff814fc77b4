package seal

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"
)

// MaxShareSize bounds one share; real shares are 33 bytes (a 32-byte key
// plus the x coordinate).
const MaxShareSize = 1024

// Errors returned by Progress.Add; compare with errors.Is.
var (
	// ErrDuplicateShare rejects a share already given in this attempt.
	ErrDuplicateShare = errors.New("given key has already been provided during this unseal operation")
	// ErrInvalidShare rejects an empty or oversized share.
	ErrInvalidShare = errors.New("invalid key share")
	// ErrAttemptComplete rejects a share once the attempt holds the
	// threshold (or 255 shares, without one) and before it has been taken
	// or reset.
	ErrAttemptComplete = errors.New("unseal attempt already has enough shares")
)

// Progress collects the shares of one unseal attempt. It is safe for
// concurrent use, and its zero value is ready to use.
//
// The flow: Add each share; once the attempt holds the threshold's worth,
// Take the shares (or read Shares then Reset), combine them and try them on
// the barrier. Whatever the outcome, the attempt is over and the next Add
// starts a new one with a new nonce.
//
// With a threshold set (SetThreshold), Add reports ready when it is reached
// and refuses further shares until the attempt is taken or reset. Without
// one, Add never reports ready and the caller compares Count with the
// threshold of its seal configuration.
type Progress struct {
	mu        sync.Mutex
	threshold int // 0: not set
	shares    [][]byte
	nonce     string
}

// NewProgress returns an empty Progress with no threshold set.
func NewProgress() *Progress { return &Progress{} }

// SetThreshold sets how many shares make an attempt ready (1..255), or
// clears it with 0. Changing it discards the attempt under way.
func (p *Progress) SetThreshold(threshold int) error {
	if threshold < 0 || threshold > MaxShares {
		return fmt.Errorf("%w: threshold must be between 1 and %d, got %d", ErrInvalidConfig, MaxShares, threshold)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if threshold != p.threshold {
		p.resetLocked()
		p.threshold = threshold
	}
	return nil
}

// Threshold returns the threshold set with SetThreshold, or 0.
func (p *Progress) Threshold() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.threshold
}

// Add records a copy of share in the current attempt, starting one (with a
// fresh nonce) if none is under way. ready is true once the attempt holds
// threshold shares (never, when no threshold is set). A share given twice
// in one attempt is refused with ErrDuplicateShare and the attempt is left
// as it was; so is an empty or oversized one, with ErrInvalidShare.
func (p *Progress) Add(share []byte) (ready bool, err error) {
	if len(share) == 0 || len(share) > MaxShareSize {
		return false, fmt.Errorf("%w: length must be between 1 and %d bytes", ErrInvalidShare, MaxShareSize)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	limit := p.threshold
	if limit == 0 {
		limit = MaxShares
	}
	if len(p.shares) >= limit {
		return p.threshold > 0, ErrAttemptComplete
	}
	for _, have := range p.shares {
		if subtle.ConstantTimeCompare(have, share) == 1 {
			return false, ErrDuplicateShare
		}
	}
	if len(p.shares) == 0 {
		p.nonce = newNonce()
	}
	p.shares = append(p.shares, append([]byte(nil), share...))
	return p.threshold > 0 && len(p.shares) >= p.threshold, nil
}

// Shares returns copies of the shares of the current attempt. The caller
// should clear them once used.
func (p *Progress) Shares() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([][]byte, len(p.shares))
	for i, s := range p.shares {
		out[i] = append([]byte(nil), s...)
	}
	return out
}

// Take ends the current attempt and hands its shares to the caller, who
// should clear them once used. The next Add starts a new attempt.
func (p *Progress) Take() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.shares
	p.shares = nil
	p.nonce = ""
	return out
}

// Reset discards the current attempt, zeroing the shares it held.
func (p *Progress) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resetLocked()
}

func (p *Progress) resetLocked() {
	for _, s := range p.shares {
		clear(s)
	}
	p.shares = nil
	p.nonce = ""
}

// Count returns how many shares the current attempt holds (seal-status's
// "progress").
func (p *Progress) Count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.shares)
}

// Nonce identifies the current attempt: a random UUID, new for each
// attempt, and "" when no attempt is under way (as Vault reports it).
func (p *Progress) Nonce() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nonce
}

// newNonce returns a random (version 4) UUID. crypto/rand.Read does not
// fail: the runtime aborts rather than return short randomness.
func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
