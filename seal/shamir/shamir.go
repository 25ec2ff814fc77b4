package shamir

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// MaxShares is the largest number of shares: x coordinates are the
// non-zero bytes.
const MaxShares = 255

// Errors returned (wrapped) by Split and Combine.
var (
	// ErrInvalidParams rejects a bad parts/threshold pair or an empty secret.
	ErrInvalidParams = errors.New("shamir: invalid parameters")
	// ErrInvalidShares rejects shares that cannot be combined.
	ErrInvalidShares = errors.New("shamir: invalid shares")
)

// Split divides secret into parts shares, any threshold of which recover
// it. threshold must be at least 2 and at most parts, parts at most 255 —
// except for the single-share case, Split(secret, 1, 1), where the one share
// is a copy of the secret itself and no Combine is needed. Each share is
// len(secret)+1 bytes: the evaluations, then the x coordinate.
func Split(secret []byte, parts, threshold int) ([][]byte, error) {
	return split(rand.Reader, secret, parts, threshold)
}

func split(rnd io.Reader, secret []byte, parts, threshold int) ([][]byte, error) {
	if err := checkParams(len(secret), parts, threshold); err != nil {
		return nil, err
	}
	if parts == 1 {
		return [][]byte{append([]byte(nil), secret...)}, nil
	}
	xs, err := distinctXs(rnd, parts)
	if err != nil {
		return nil, err
	}
	shares := make([][]byte, parts)
	for i := range shares {
		shares[i] = make([]byte, len(secret)+1)
		shares[i][len(secret)] = xs[i]
	}
	// coeffs[0] is the secret byte; the rest are fresh random bytes for each
	// secret byte, wiped once used.
	coeffs := make([]byte, threshold)
	defer clear(coeffs)
	for j, s := range secret {
		if _, err := io.ReadFull(rnd, coeffs[1:]); err != nil {
			return nil, fmt.Errorf("shamir: read random coefficients: %w", err)
		}
		coeffs[0] = s
		for i, x := range xs {
			shares[i][j] = evaluate(coeffs, x)
		}
	}
	return shares, nil
}

func checkParams(secretLen, parts, threshold int) error {
	switch {
	case secretLen == 0:
		return fmt.Errorf("%w: cannot split an empty secret", ErrInvalidParams)
	case parts < 1 || parts > MaxShares:
		return fmt.Errorf("%w: parts must be between 1 and %d, got %d", ErrInvalidParams, MaxShares, parts)
	case threshold > parts:
		return fmt.Errorf("%w: threshold %d exceeds parts %d", ErrInvalidParams, threshold, parts)
	case parts == 1 && threshold == 1:
		return nil
	case threshold < 2:
		return fmt.Errorf("%w: threshold must be at least 2 when there are several parts, got %d", ErrInvalidParams, threshold)
	}
	return nil
}

// distinctXs draws n distinct x coordinates from 1..255, uniformly (a
// partial Fisher-Yates shuffle with rejection sampling).
func distinctXs(rnd io.Reader, n int) ([]byte, error) {
	var pool [MaxShares]byte
	for i := range pool {
		pool[i] = byte(i + 1)
	}
	for i := range n {
		j, err := uniform(rnd, MaxShares-i)
		if err != nil {
			return nil, err
		}
		pool[i], pool[i+j] = pool[i+j], pool[i]
	}
	return append([]byte(nil), pool[:n]...), nil
}

// uniform returns a uniform integer in [0, n) for 1 <= n <= 256.
func uniform(rnd io.Reader, n int) (int, error) {
	limit := 256 - 256%n // largest multiple of n not above 256
	var b [1]byte
	for {
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return 0, fmt.Errorf("shamir: read random coordinates: %w", err)
		}
		if int(b[0]) < limit {
			return int(b[0]) % n, nil
		}
	}
}

// evaluate computes the polynomial with the given coefficients (lowest
// degree first) at x, by Horner's rule.
func evaluate(coeffs []byte, x byte) byte {
	var y byte
	for i := len(coeffs) - 1; i >= 0; i-- {
		y = gfMul(y, x) ^ coeffs[i]
	}
	return y
}

// Combine recovers the secret from two or more shares made by one Split.
// Shares of different lengths, shorter than two bytes, or sharing an x
// coordinate are refused. Given fewer shares than the split's threshold it
// returns bytes unrelated to the secret, not an error: Shamir shares carry
// no integrity check, so callers verify the result (the barrier does, by
// decrypting the root key with it).
func Combine(parts [][]byte) ([]byte, error) {
	xs, err := checkShares(parts)
	if err != nil {
		return nil, err
	}
	// weights[i] is the Lagrange basis polynomial of share i evaluated at
	// x = 0: prod over m != i of x_m / (x_m - x_i); subtraction is XOR.
	weights := make([]byte, len(parts))
	for i, xi := range xs {
		w := byte(1)
		for m, xm := range xs {
			if m != i {
				w = gfMul(w, gfDiv(xm, xm^xi))
			}
		}
		weights[i] = w
	}
	secret := make([]byte, len(parts[0])-1)
	for j := range secret {
		var s byte
		for i, p := range parts {
			s ^= gfMul(p[j], weights[i])
		}
		secret[j] = s
	}
	return secret, nil
}

func checkShares(parts [][]byte) ([]byte, error) {
	if len(parts) < 2 {
		return nil, fmt.Errorf("%w: at least two shares are needed, got %d", ErrInvalidShares, len(parts))
	}
	if len(parts) > MaxShares {
		return nil, fmt.Errorf("%w: at most %d shares, got %d", ErrInvalidShares, MaxShares, len(parts))
	}
	size := len(parts[0])
	if size < 2 {
		return nil, fmt.Errorf("%w: a share must be at least two bytes", ErrInvalidShares)
	}
	var seen [256]bool
	xs := make([]byte, len(parts))
	for i, p := range parts {
		if len(p) != size {
			return nil, fmt.Errorf("%w: shares have different lengths", ErrInvalidShares)
		}
		x := p[size-1]
		if x == 0 {
			return nil, fmt.Errorf("%w: share %d has x coordinate 0", ErrInvalidShares, i+1)
		}
		if seen[x] {
			return nil, fmt.Errorf("%w: two shares have the same x coordinate", ErrInvalidShares)
		}
		seen[x] = true
		xs[i] = x
	}
	return xs, nil
}
