package shamir

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/quick"
)

func mustSplit(t testing.TB, secret []byte, parts, threshold int) [][]byte {
	t.Helper()
	shares, err := Split(secret, parts, threshold)
	if err != nil {
		t.Fatalf("Split(%d, %d): %v", parts, threshold, err)
	}
	return shares
}

func TestSplitInvalid(t *testing.T) {
	secret := []byte("secret")
	cases := []struct {
		name             string
		secret           []byte
		parts, threshold int
	}{
		{"empty secret", nil, 3, 2},
		{"zero parts", secret, 0, 0},
		{"negative", secret, -1, -1},
		{"threshold above parts", secret, 2, 3},
		{"too many parts", secret, 256, 3},
		{"threshold one with several parts", secret, 10, 1},
		{"threshold zero", secret, 3, 0},
		{"one part threshold zero", secret, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Split(tc.secret, tc.parts, tc.threshold)
			if !errors.Is(err, ErrInvalidParams) || out != nil {
				t.Fatalf("Split = %d shares, %v; want ErrInvalidParams", len(out), err)
			}
		})
	}
}

func TestSingleShareIsTheSecret(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	shares := mustSplit(t, secret, 1, 1)
	if len(shares) != 1 || !bytes.Equal(shares[0], secret) {
		t.Fatalf("Split(1, 1) = %x", shares)
	}
	shares[0][0] ^= 0xff
	if secret[0] != '0' {
		t.Fatal("the single share aliases the secret")
	}
}

func TestShareFormat(t *testing.T) {
	secret := bytes.Repeat([]byte{0xa5}, 32)
	shares := mustSplit(t, secret, 255, 2)
	seen := map[byte]bool{}
	for _, s := range shares {
		if len(s) != len(secret)+1 {
			t.Fatalf("share length %d, want %d", len(s), len(secret)+1)
		}
		x := s[len(s)-1]
		if x == 0 || seen[x] {
			t.Fatalf("x coordinate %d is zero or repeated", x)
		}
		seen[x] = true
		if bytes.Equal(s[:len(secret)], secret) {
			t.Fatal("a share carries the secret in the clear")
		}
	}
}

// A hand-worked case: f(x) = 0x2a + 0x57·x, so f(1) = 0x2a^0x57 = 0x7d and
// f(0x83) = 0x2a ^ (0x57·0x83) = 0x2a ^ 0xc1 = 0xeb (FIPS-197's product).
func TestCombineKnownAnswer(t *testing.T) {
	got, err := Combine([][]byte{{0x7d, 0x01}, {0xeb, 0x83}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, []byte{0x2a}) {
		t.Fatalf("Combine = %x, want 2a", got)
	}
}

// subsets calls fn with every non-empty subset of shares.
func subsets(shares [][]byte, fn func([][]byte)) {
	for mask := 1; mask < 1<<len(shares); mask++ {
		var sub [][]byte
		for i, s := range shares {
			if mask&(1<<i) != 0 {
				sub = append(sub, s)
			}
		}
		fn(sub)
	}
}

func TestEverySubsetOfFiveThree(t *testing.T) {
	secret := []byte("a 32-byte unseal key, for test!!")
	shares := mustSplit(t, secret, 5, 3)
	var recovered, refused int
	subsets(shares, func(sub [][]byte) {
		got, err := Combine(sub)
		switch {
		case len(sub) >= 3:
			if err != nil || !bytes.Equal(got, secret) {
				t.Errorf("%d shares: Combine = %q, %v", len(sub), got, err)
			}
			recovered++
		case len(sub) == 2:
			if err != nil || bytes.Equal(got, secret) {
				t.Errorf("2 shares of a 3-threshold: Combine = %q, %v; want other bytes", got, err)
			}
			refused++
		default:
			if err == nil {
				t.Errorf("Combine of one share succeeded")
			}
			refused++
		}
	})
	// C(5,3)+C(5,4)+C(5,5) = 16 recover; C(5,2)+C(5,1) = 15 don't.
	if recovered != 16 || refused != 15 {
		t.Fatalf("checked %d recovering and %d short subsets", recovered, refused)
	}
	// Order does not matter.
	got, err := Combine([][]byte{shares[4], shares[0], shares[2]})
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("reordered Combine = %q, %v", got, err)
	}
}

func TestCombineInvalid(t *testing.T) {
	cases := []struct {
		name  string
		parts [][]byte
	}{
		{"none", nil},
		{"one", [][]byte{{1, 2, 3}}},
		{"length mismatch", [][]byte{{1, 2, 3}, {1, 2}}},
		{"too short", [][]byte{{1}, {2}}},
		{"duplicate x", [][]byte{{1, 2, 3}, {4, 5, 3}}},
		{"same share twice", [][]byte{{1, 2, 3}, {1, 2, 3}}},
		{"x zero", [][]byte{{1, 2, 0}, {4, 5, 6}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Combine(tc.parts)
			if !errors.Is(err, ErrInvalidShares) || out != nil {
				t.Fatalf("Combine = %x, %v; want ErrInvalidShares", out, err)
			}
		})
	}
}

func TestRandomFailure(t *testing.T) {
	_, err := split(io.LimitReader(bytes.NewReader(make([]byte, 1000)), 3), []byte("s"), 5, 3)
	if err == nil {
		t.Fatal("split with an exhausted random source succeeded")
	}
}

// A seeded property loop: random secrets, sizes, share counts and
// thresholds; any threshold-sized random subset recovers, one fewer
// does not.
func TestPropertySeeded(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		secret := make([]byte, 1+rng.IntN(64))
		for i := range secret {
			secret[i] = byte(rng.UintN(256))
		}
		parts := 2 + rng.IntN(30)
		threshold := 2 + rng.IntN(parts-1)
		shares := mustSplit(t, secret, parts, threshold)
		rng.Shuffle(len(shares), func(i, j int) { shares[i], shares[j] = shares[j], shares[i] })
		k := threshold + rng.IntN(parts-threshold+1)
		got, err := Combine(shares[:k])
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("iter %d: %d/%d with %d shares: %x, %v; want %x", iter, parts, threshold, k, got, err, secret)
		}
		if threshold > 2 && len(secret) >= 8 {
			got, err := Combine(shares[:threshold-1])
			if err != nil || bytes.Equal(got, secret) {
				t.Fatalf("iter %d: %d shares of threshold %d recovered the secret", iter, threshold-1, threshold)
			}
		}
	}
}

func TestPropertyQuick(t *testing.T) {
	roundTrip := func(secret []byte, p, th uint8) bool {
		if len(secret) == 0 {
			return true
		}
		parts := 2 + int(p)%20
		threshold := 2 + int(th)%(parts-1)
		shares, err := Split(secret, parts, threshold)
		if err != nil {
			return false
		}
		got, err := Combine(shares[parts-threshold:])
		return err == nil && bytes.Equal(got, secret)
	}
	if err := quick.Check(roundTrip, &quick.Config{MaxCount: 200}); err != nil {
		t.Fatal(err)
	}
}

func TestMaximumShares(t *testing.T) {
	secret := []byte("max")
	shares := mustSplit(t, secret, 255, 255)
	got, err := Combine(shares)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("255/255: %q, %v", got, err)
	}
	got, err = Combine(shares[:254])
	if err != nil || bytes.Equal(got, secret) {
		t.Fatalf("254 of 255/255: %q, %v", got, err)
	}
}

func FuzzSplitCombine(f *testing.F) {
	f.Add([]byte("seed"), uint8(5), uint8(3))
	f.Add([]byte{0}, uint8(2), uint8(2))
	f.Add(bytes.Repeat([]byte{0xff}, 32), uint8(255), uint8(2))
	f.Fuzz(func(t *testing.T, secret []byte, p, th uint8) {
		shares, err := Split(secret, int(p), int(th))
		if err != nil {
			if !errors.Is(err, ErrInvalidParams) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if len(shares) != int(p) {
			t.Fatalf("%d shares, want %d", len(shares), p)
		}
		if p == 1 {
			return
		}
		got, err := Combine(shares[:th])
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("Combine(%d of %d) = %x, %v; want %x", th, p, got, err, secret)
		}
	})
}

// FuzzCombine feeds arbitrary bytes cut into shares: Combine must never
// panic, and either refuses or returns len(share)-1 bytes.
func FuzzCombine(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6}, uint8(3))
	f.Add([]byte{0, 0, 0, 0}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		if n == 0 {
			return
		}
		size := len(data) / int(n)
		parts := make([][]byte, n)
		for i := range parts {
			parts[i] = data[i*size : (i+1)*size]
		}
		got, err := Combine(parts)
		if err == nil && len(got) != size-1 {
			t.Fatalf("Combine returned %d bytes from %d-byte shares", len(got), size)
		}
	})
}
