package storage

import (
	"errors"
	"slices"
	"testing"
)

func TestListNames(t *testing.T) {
	keys := []string{"a/b", "a/c/d", "a/c/e", "a/f", "a", "ab/x", "b"}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a", "a/", "ab/", "b"}},
		{"a/", []string{"b", "c/", "f"}},
		{"a/c/", []string{"d", "e"}},
		{"a", []string{"/", "b/"}},
		{"zzz/", []string{}},
	}
	for _, tc := range cases {
		if got := ListNames(tc.prefix, keys); !slices.Equal(got, tc.want) {
			t.Errorf("ListNames(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}

func TestValidateKey(t *testing.T) {
	if err := ValidateKey(""); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("ValidateKey(\"\") = %v", err)
	}
	if err := ValidateKey("k"); err != nil {
		t.Fatalf("ValidateKey(k) = %v", err)
	}
}
