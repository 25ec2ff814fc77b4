package core

import (
	"testing"
	"time"
)

// TestRetryDelayBacksOff: a revocation that keeps failing is retried after
// 1s, 2s, 4s, … and at most every maxRetryDelay, never given up.
func TestRetryDelayBacksOff(t *testing.T) {
	cases := []struct {
		failures int
		want     time.Duration
	}{
		{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {9, 256 * time.Second},
		{10, maxRetryDelay}, {1000, maxRetryDelay},
	}
	for _, tc := range cases {
		if got := retryDelay(tc.failures); got != tc.want {
			t.Errorf("retryDelay(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
}
