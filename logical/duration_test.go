package logical

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestParseDurationRange: every form of a duration is range-checked the
// same way; a value past what a time.Duration holds is an error saying it
// is too large, never a silent wrap to a small or zero duration.
func TestParseDurationRange(t *testing.T) {
	good := []struct {
		in   any
		want time.Duration
	}{
		{"90s", 90 * time.Second},
		{"3600", time.Hour},
		{3600, time.Hour},
		{json.Number("3600"), time.Hour},
		{"2d", 48 * time.Hour},
		{"9223372036", 9223372036 * time.Second},
		{"106751d", 106751 * 24 * time.Hour},
		{"2562047h", 2562047 * time.Hour},
		{"", 0},
		{nil, 0},
	}
	for _, tt := range good {
		got, err := ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%#v) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	tooLarge := []any{
		"18446744074", // seconds as a string: wrapped to ~0.3s
		"9223372037",  // one second past the largest duration
		json.Number("18446744074"),
		int64(18446744074),
		float64(1e19),
		"106752d",               // days
		"99999999999999999999d", // days past int64
		"2562048h",              // unit suffixes
		"9999999999999999999s",
		json.Number("1e30"), // a number in exponent form
	}
	for _, in := range tooLarge {
		got, err := ParseDuration(in)
		if err == nil || !strings.Contains(err.Error(), "too large") {
			t.Errorf("ParseDuration(%#v) = %v, %v; want a too large error", in, got, err)
		}
	}
}
