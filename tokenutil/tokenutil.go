package tokenutil

import (
	"slices"
	"strings"
)

// SanitizePolicies cleans up a list of policy names as Vault does: names
// are trimmed and lower-cased, empty ones and duplicates dropped, and the
// rest sorted; a list holding "root" becomes just "root". With addDefault,
// "default" is added (never to root). The result is never nil.
func SanitizePolicies(in []string, addDefault bool) []string {
	seen := make(map[string]bool, len(in)+1)
	out := make([]string, 0, len(in)+1)
	for _, p := range in {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" || seen[p] {
			continue
		}
		if p == "root" {
			return []string{"root"}
		}
		seen[p] = true
		out = append(out, p)
	}
	if addDefault && !seen["default"] {
		out = append(out, "default")
	}
	slices.Sort(out)
	return out
}

// MatchGlob matches s against pattern, in which each '*' stands for any
// run of characters: "*" matches everything, "dev-*" a prefix, "*-api" a
// suffix, "a*b*c" those parts in order. Without a '*' the match is exact.
func MatchGlob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}
