package jwt

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/vaultd/vaultd/tokenutil"
)

// getClaim finds a claim by name or, when the name starts with "/", by
// JSON pointer (RFC 6901) into nested objects and lists, as Vault does:
// "/project/path" is claims["project"]["path"]. Numbers come back as
// json.Number, so 5 and 5.0 compare alike. A claim that is not there is nil.
func getClaim(claims map[string]any, name string) any {
	var v any
	if !strings.HasPrefix(name, "/") {
		v = claims[name]
	} else {
		v = lookupPointer(claims, name)
	}
	return normalizeNumber(v)
}

func lookupPointer(claims map[string]any, pointer string) any {
	var cur any = claims
	for _, part := range strings.Split(pointer[1:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch node := cur.(type) {
		case map[string]any:
			next, ok := node[part]
			if !ok {
				return nil
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(node) {
				return nil
			}
			cur = node[i]
		default:
			return nil
		}
	}
	return cur
}

func normalizeNumber(v any) any {
	switch n := v.(type) {
	case float64:
		if n == float64(int64(n)) {
			return json.Number(strconv.FormatInt(int64(n), 10))
		}
		return json.Number(strconv.FormatFloat(n, 'f', -1, 64))
	case json.Number:
		if f, err := n.Float64(); err == nil {
			return normalizeNumber(f)
		}
	case int:
		return json.Number(strconv.Itoa(n))
	case int64:
		return json.Number(strconv.FormatInt(n, 10))
	}
	return v
}

// normalizeList turns a string, bool, number or list into a list, since
// issuers send a one-item list as the item alone.
func normalizeList(raw any) ([]any, bool) {
	switch v := raw.(type) {
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = normalizeNumber(item)
		}
		return out, true
	case []string:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = item
		}
		return out, true
	case string, bool, json.Number, float64, int, int64:
		return []any{normalizeNumber(v)}, true
	}
	return nil, false
}

// checkBoundClaims requires every bound claim to be present and to match
// one of its values: exactly, or as a glob ("*" for any run of characters)
// when the role's bound_claims_type is glob.
func checkBoundClaims(typ string, bound, claims map[string]any) error {
	glob := typ == boundClaimsGlob
	for name, want := range bound {
		got := getClaim(claims, name)
		if got == nil {
			return fmt.Errorf("claim %q is missing", name)
		}
		gotVals, ok := normalizeList(got)
		if !ok {
			return fmt.Errorf("received claim is not a string, bool, int or list: %v", got)
		}
		wantVals, ok := normalizeList(want)
		if !ok {
			return fmt.Errorf("bound claim is not a string, bool, int or list: %v", want)
		}
		if !anyMatch(wantVals, gotVals, glob) {
			return fmt.Errorf("claim %q does not match any associated bound claim values", name)
		}
	}
	return nil
}

func anyMatch(want, got []any, glob bool) bool {
	for _, w := range want {
		for _, g := range got {
			if !glob {
				if w == g {
					return true
				}
				continue
			}
			ws, wok := w.(string)
			gs, gok := g.(string)
			if wok && gok && tokenutil.MatchGlob(ws, gs) {
				return true
			}
		}
	}
	return false
}

// mapClaims builds alias metadata from the role's claim_mappings: each
// named claim present in the token, which must be a string, under its
// metadata key.
func mapClaims(claims map[string]any, mappings map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(mappings)+1)
	for source, target := range mappings {
		v := getClaim(claims, source)
		if v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("error converting claim '%s' to string", source)
		}
		out[target] = s
	}
	return out, nil
}
