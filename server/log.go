package server

import (
	"log/slog"
	"strings"
)

// redacted replaces a path segment that may be a token.
const redacted = "<redacted>"

// slogLevelFor is the level of a request's log line: server errors are
// errors, everything else is debug detail (the audit log is the record of
// who did what).
func slogLevelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelDebug
}

// redactPath makes a request path safe to log. Vault's legacy token
// endpoints take the token in the path (auth/token/lookup/<token>,
// revoke/<token>, revoke-orphan/<token>, renew/<token>): everything after
// them is dropped. Any other segment shaped like a token (hvs., hvb., hvr.,
// or the legacy s., b., r. prefixes followed by a long random part) is
// replaced too.
func redactPath(p string) string {
	if !strings.Contains(p, ".") && !strings.Contains(p, "/token/") {
		return p
	}
	parts := []string{""} // the empty segment before the leading slash
	for seg := range strings.SplitSeq(p, "/") {
		if seg != "" { // collapsed, so a token behind repeated slashes (a refused path) is still found
			parts = append(parts, seg)
		}
	}
	trailing := strings.HasSuffix(p, "/")
	for i := 1; i < len(parts); i++ {
		if looksLikeToken(parts[i]) {
			parts[i] = redacted
		}
		if i == 4 && len(parts) > 5 && tokenInPath(parts[:5]) {
			parts = append(parts[:5], redacted)
			trailing = false
			break
		}
	}
	out := strings.Join(parts, "/")
	if trailing && len(parts) > 1 {
		out += "/"
	}
	return out
}

// tokenInPath reports whether segs (a path split on "/", starting with the
// empty segment before the leading slash) ends with one of the legacy
// endpoints whose next segment is a token.
func tokenInPath(segs []string) bool {
	if len(segs) != 5 || segs[1] != "v1" || segs[2] != "auth" || segs[3] != "token" {
		return false
	}
	switch segs[4] {
	case "lookup", "revoke", "revoke-orphan", "renew":
		return true
	}
	return false
}

// looksLikeToken reports whether a path segment has the shape of a Vault
// token.
func looksLikeToken(seg string) bool {
	const minLen = 16
	if len(seg) < minLen {
		return false
	}
	for _, prefix := range [...]string{"hvs.", "hvb.", "hvr.", "s.", "b.", "r."} {
		if strings.HasPrefix(seg, prefix) {
			return true
		}
	}
	return false
}
