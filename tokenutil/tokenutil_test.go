package tokenutil

import (
	"slices"
	"testing"
)

func TestSanitizePolicies(t *testing.T) {
	tests := []struct {
		name       string
		in         []string
		addDefault bool
		want       []string
	}{
		{"nil", nil, false, []string{}},
		{"nil with default", nil, true, []string{"default"}},
		{"trimmed, lowered, sorted, deduped", []string{" Web ", "db", "web", ""}, false, []string{"db", "web"}},
		{"default added once", []string{"default", "web"}, true, []string{"default", "web"}},
		{"root alone", []string{"web", "ROOT", "db"}, true, []string{"root"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SanitizePolicies(tt.in, tt.addDefault)
			if got == nil || !slices.Equal(got, tt.want) {
				t.Fatalf("SanitizePolicies(%q, %v) = %#v, want %q", tt.in, tt.addDefault, got, tt.want)
			}
		})
	}
}

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "anything", true}, {"*", "", true},
		{"exact", "exact", true}, {"exact", "exactly", false}, {"", "", true}, {"", "x", false},
		{"dev-*", "dev-api", true}, {"dev-*", "dev-", true}, {"dev-*", "prod-api", false},
		{"*-api", "dev-api", true}, {"*-api", "dev-db", false},
		{"team-*-prod", "team-a-prod", true}, {"team-*-prod", "team-a-dev", false},
		{"a*b*c", "aXbYc", true}, {"a*b*c", "acb", false}, {"a*b*c", "axxc", false},
		{"ab*ba", "aba", false},
	}
	for _, tt := range tests {
		if got := MatchGlob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("MatchGlob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
