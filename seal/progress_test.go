package seal

import (
	"errors"
	"regexp"
	"sync"
	"testing"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func newProgress(t *testing.T, threshold int) *Progress {
	t.Helper()
	p := NewProgress()
	if err := p.SetThreshold(threshold); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSetThreshold(t *testing.T) {
	p := NewProgress()
	for _, th := range []int{-1, 256} {
		if err := p.SetThreshold(th); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("SetThreshold(%d): %v", th, err)
		}
	}
	if err := p.SetThreshold(3); err != nil || p.Threshold() != 3 {
		t.Fatalf("SetThreshold(3): %v, threshold %d", err, p.Threshold())
	}
	_, _ = p.Add([]byte("a"))
	// Same threshold: the attempt stays.
	_ = p.SetThreshold(3)
	if p.Count() != 1 {
		t.Fatal("setting the same threshold discarded the attempt")
	}
	// A new threshold starts over.
	_ = p.SetThreshold(2)
	if p.Count() != 0 || p.Nonce() != "" {
		t.Fatal("changing the threshold kept the attempt")
	}
}

// Without a threshold (the zero value), Add never reports ready; the caller
// counts. The attempt is capped at 255 shares.
func TestProgressWithoutThreshold(t *testing.T) {
	var p Progress
	for i := range MaxShares {
		ready, err := p.Add([]byte{byte(i), 0xaa})
		if err != nil || ready {
			t.Fatalf("Add %d = %v, %v", i, ready, err)
		}
	}
	if p.Count() != MaxShares {
		t.Fatalf("Count = %d", p.Count())
	}
	if _, err := p.Add([]byte("one more")); !errors.Is(err, ErrAttemptComplete) {
		t.Fatalf("Add past 255 shares: %v", err)
	}
}

func TestProgressFlow(t *testing.T) {
	p := newProgress(t, 3)
	if p.Count() != 0 || p.Nonce() != "" {
		t.Fatalf("fresh progress: count %d nonce %q", p.Count(), p.Nonce())
	}
	ready, err := p.Add([]byte("one"))
	if err != nil || ready {
		t.Fatalf("Add 1 = %v, %v", ready, err)
	}
	nonce := p.Nonce()
	if !uuidRE.MatchString(nonce) {
		t.Fatalf("nonce %q is not a v4 UUID", nonce)
	}
	if ready, err := p.Add([]byte("one")); !errors.Is(err, ErrDuplicateShare) || ready {
		t.Fatalf("duplicate Add = %v, %v", ready, err)
	}
	if p.Count() != 1 || p.Nonce() != nonce {
		t.Fatalf("a duplicate changed the attempt: count %d nonce %q", p.Count(), p.Nonce())
	}
	if ready, err := p.Add([]byte("two")); err != nil || ready {
		t.Fatalf("Add 2 = %v, %v", ready, err)
	}
	if ready, err := p.Add([]byte("three")); err != nil || !ready {
		t.Fatalf("Add 3 = %v, %v", ready, err)
	}
	if _, err := p.Add([]byte("four")); !errors.Is(err, ErrAttemptComplete) {
		t.Fatalf("Add past the threshold: %v", err)
	}
	shares := p.Shares()
	if len(shares) != 3 || string(shares[0]) != "one" || string(shares[2]) != "three" {
		t.Fatalf("Shares = %q", shares)
	}
	shares[0][0] = 'X'
	if string(p.Shares()[0]) != "one" {
		t.Fatal("Shares aliases the stored shares")
	}
	p.Reset()
	if p.Count() != 0 || p.Nonce() != "" {
		t.Fatalf("after Reset: count %d nonce %q", p.Count(), p.Nonce())
	}
	// The same share is welcome in a new attempt, under a new nonce.
	if _, err := p.Add([]byte("one")); err != nil {
		t.Fatalf("Add after Reset: %v", err)
	}
	if p.Nonce() == nonce || p.Nonce() == "" {
		t.Fatalf("nonce not renewed: %q", p.Nonce())
	}
}

func TestProgressResetZeroesShares(t *testing.T) {
	p := newProgress(t, 3)
	if _, err := p.Add([]byte("secret-share")); err != nil {
		t.Fatal(err)
	}
	held := p.shares[0] // the internal copy
	p.Reset()
	for _, b := range held {
		if b != 0 {
			t.Fatalf("Reset left share bytes behind: %q", held)
		}
	}
}

func TestProgressAddCopies(t *testing.T) {
	p := newProgress(t, 2)
	in := []byte("abc")
	if _, err := p.Add(in); err != nil {
		t.Fatal(err)
	}
	in[0] = 'X'
	if string(p.Shares()[0]) != "abc" {
		t.Fatal("Add kept the caller's buffer")
	}
}

func TestProgressTake(t *testing.T) {
	p := newProgress(t, 2)
	_, _ = p.Add([]byte("a"))
	nonce := p.Nonce()
	ready, err := p.Add([]byte("b"))
	if err != nil || !ready {
		t.Fatalf("Add = %v, %v", ready, err)
	}
	got := p.Take()
	if len(got) != 2 || p.Count() != 0 || p.Nonce() != "" {
		t.Fatalf("Take = %q; count %d nonce %q", got, p.Count(), p.Nonce())
	}
	_, _ = p.Add([]byte("a"))
	if p.Nonce() == nonce {
		t.Fatal("a completed attempt's nonce was reused")
	}
}

func TestProgressInvalidShare(t *testing.T) {
	p := newProgress(t, 2)
	for _, s := range [][]byte{nil, {}, make([]byte, MaxShareSize+1)} {
		if _, err := p.Add(s); !errors.Is(err, ErrInvalidShare) {
			t.Errorf("Add(%d bytes): %v", len(s), err)
		}
	}
	if p.Count() != 0 || p.Nonce() != "" {
		t.Fatal("an invalid share started an attempt")
	}
}

func TestProgressConcurrent(t *testing.T) {
	const n = 50
	p := newProgress(t, n)
	var wg sync.WaitGroup
	readies := make(chan bool, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ready, err := p.Add([]byte{byte(i), 1})
			if err != nil {
				t.Error(err)
			}
			readies <- ready
			_ = p.Nonce()
			_ = p.Count()
		}()
	}
	wg.Wait()
	close(readies)
	var readyCount int
	for r := range readies {
		if r {
			readyCount++
		}
	}
	if p.Count() != n || readyCount != 1 {
		t.Fatalf("count %d, %d callers saw ready; want %d and 1", p.Count(), readyCount, n)
	}
}
