package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// checkParams applies a rule's parameter constraints to request data, in
// Vault's order: required parameters must be present; with no data there is
// nothing more to check; a denied "*" or a denied value refuses; then, unless
// allowed_parameters is absent or holds only "*", every parameter must be
// listed (or "*" be listed) and its value be among the allowed ones. An empty
// value list means any value. It returns why the data is refused, or "".
func (p *perms) checkParams(data map[string]any) string {
	for _, k := range p.required {
		if _, ok := data[k]; !ok {
			return fmt.Sprintf("missing required parameter %q", k)
		}
	}
	if len(data) == 0 {
		return ""
	}
	if len(p.denied) > 0 {
		if _, ok := p.denied["*"]; ok {
			return "all parameters are denied"
		}
		for k, v := range data {
			if list, ok := p.denied[strings.ToLower(k)]; ok && deniedValue(v, list) {
				return fmt.Sprintf("parameter %q is denied", k)
			}
		}
	}
	if len(p.allowed) == 0 {
		return ""
	}
	_, anyKey := p.allowed["*"]
	if anyKey && len(p.allowed) == 1 {
		return ""
	}
	for k, v := range data {
		list, ok := p.allowed[strings.ToLower(k)]
		if !ok {
			if anyKey {
				continue
			}
			return fmt.Sprintf("parameter %q is not allowed", k)
		}
		if !allowedValue(v, list) {
			return fmt.Sprintf("a value of parameter %q is not allowed", k)
		}
	}
	return ""
}

// allowedValue reports whether v may be sent: the list is empty, v matches
// an entry, or v is a list (or a comma-separated string, as the vault CLI
// sends lists) every element of which matches. An empty list or string
// must match an entry itself.
func allowedValue(v any, list []any) bool {
	if len(list) == 0 || inList(v, list) {
		return true
	}
	elems := elements(v)
	if len(elems) == 0 {
		return false
	}
	for _, e := range elems {
		if !inList(e, list) {
			return false
		}
	}
	return true
}

// deniedValue reports whether v is refused: the list is empty, v matches an
// entry, or any element of a list (or comma-separated string) does.
func deniedValue(v any, list []any) bool {
	if len(list) == 0 || inList(v, list) {
		return true
	}
	for _, e := range elements(v) {
		if inList(e, list) {
			return true
		}
	}
	return false
}

// elements splits a list value, or a string on commas (trimming spaces);
// nil for anything else and for an empty string or list.
func elements(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case []string:
		out := make([]any, len(t))
		for i, s := range t {
			out[i] = s
		}
		return out
	case string:
		if t == "" {
			return nil
		}
		parts := strings.Split(t, ",")
		out := make([]any, len(parts))
		for i, s := range parts {
			out[i] = strings.TrimSpace(s)
		}
		return out
	}
	return nil
}

// inList reports whether a single value matches an entry of a policy's
// value list.
func inList(v any, list []any) bool {
	for _, el := range list {
		if scalarMatch(el, v) {
			return true
		}
	}
	return false
}

// scalarMatch compares a policy value (string, number or bool) with a
// request value. Strings match as Vault's globs: "*" at the start, end or
// both means suffix, prefix or substring; a lone "*" is literal. Numbers
// compare by value and booleans by truth, also against their string form,
// because the vault CLI sends every value as a string.
func scalarMatch(el, v any) bool {
	if v == nil {
		return false
	}
	switch e := el.(type) {
	case string:
		s, ok := scalarString(v)
		return ok && globMatch(e, s)
	case bool:
		switch t := v.(type) {
		case bool:
			return t == e
		case string:
			b, err := strconv.ParseBool(t)
			return err == nil && b == e
		}
		return false
	default:
		a, ok1 := toNumber(el)
		b, ok2 := toNumber(v)
		return ok1 && ok2 && a == b
	}
}

// scalarString is the text of a string, number or boolean request value.
func scalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	}
	if n, ok := toNumber(v); ok {
		return n.String(), true
	}
	return "", false
}

// number is an integer when it is one, else a float, so large integers
// compare exactly.
type number struct {
	isInt bool
	i     int64
	f     float64
}

func (n number) String() string {
	if n.isInt {
		return strconv.FormatInt(n.i, 10)
	}
	return strconv.FormatFloat(n.f, 'f', -1, 64)
}

func intOrFloat(f float64) number {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return number{isInt: true, i: int64(f)}
	}
	return number{f: f}
}

// toNumber reads a Go number, a json.Number or a numeric string.
func toNumber(v any) (number, bool) {
	switch t := v.(type) {
	case int:
		return number{isInt: true, i: int64(t)}, true
	case int32:
		return number{isInt: true, i: int64(t)}, true
	case int64:
		return number{isInt: true, i: t}, true
	case uint32:
		return number{isInt: true, i: int64(t)}, true
	case uint64:
		if t > math.MaxInt64 {
			return number{f: float64(t)}, true
		}
		return number{isInt: true, i: int64(t)}, true
	case float32:
		return intOrFloat(float64(t)), true
	case float64:
		return intOrFloat(t), true
	case json.Number:
		return parseNumber(string(t))
	case string:
		return parseNumber(strings.TrimSpace(t))
	}
	return number{}, false
}

func parseNumber(s string) (number, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return number{isInt: true, i: i}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return number{}, false
	}
	return intOrFloat(f), true
}

// globMatch is Vault's glob for parameter values.
func globMatch(pattern, s string) bool {
	if len(pattern) < 2 {
		return s == pattern
	}
	pre := pattern[0] == '*'
	suf := pattern[len(pattern)-1] == '*'
	switch {
	case pre && suf:
		return strings.Contains(s, pattern[1:len(pattern)-1])
	case pre:
		return strings.HasSuffix(s, pattern[1:])
	case suf:
		return strings.HasPrefix(s, pattern[:len(pattern)-1])
	}
	return s == pattern
}
