package audit

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// The functions below append JSON exactly as encoding/json writes it
// (HTML-escaped strings, sorted map keys, nil slices and maps as null,
// json.Number validated), without reflection for the types request and
// response data are made of. Anything else goes through json.Marshal, so
// the bytes are always what encoding/json would have written.

const hexDigits = "0123456789abcdef"

// htmlSafe[b] is true for the ASCII bytes encoding/json copies as they are
// when it escapes HTML: everything printable but '"', '\\', '<', '>' and
// '&'.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<>&` {
		t[b] = false
	}
	return t
}()

// appendString appends s as a JSON string.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if htmlSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendFloat appends f as encoding/json formats a float of the given bit
// size; NaN and infinities are refused as encoding/json refuses them.
func appendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		_, err := json.Marshal(f)
		return dst, err
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// e-09 becomes e-9, as in encoding/json.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// appendNumber appends a json.Number; an invalid one is the error
// encoding/json gives.
func appendNumber(dst []byte, n json.Number) ([]byte, error) {
	if n == "" {
		return append(dst, '0'), nil
	}
	if !validNumber(string(n)) {
		_, err := json.Marshal(n)
		if err == nil {
			err = fmt.Errorf("json: invalid number literal %q", string(n))
		}
		return dst, err
	}
	return append(dst, n...), nil
}

// validNumber reports whether s is a JSON number literal.
func validNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		for s = s[1:]; s != "" && '0' <= s[0] && s[0] <= '9'; s = s[1:] {
		}
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		for s = s[2:]; s != "" && '0' <= s[0] && s[0] <= '9'; s = s[1:] {
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for ; s != "" && '0' <= s[0] && s[0] <= '9'; s = s[1:] {
		}
	}
	return s == ""
}

// appendScalarNumber appends a Go number value; ok is false for anything
// else.
func appendScalarNumber(dst []byte, v any) (out []byte, ok bool, err error) {
	switch t := v.(type) {
	case int:
		return strconv.AppendInt(dst, int64(t), 10), true, nil
	case int8:
		return strconv.AppendInt(dst, int64(t), 10), true, nil
	case int16:
		return strconv.AppendInt(dst, int64(t), 10), true, nil
	case int32:
		return strconv.AppendInt(dst, int64(t), 10), true, nil
	case int64:
		return strconv.AppendInt(dst, t, 10), true, nil
	case uint:
		return strconv.AppendUint(dst, uint64(t), 10), true, nil
	case uint8:
		return strconv.AppendUint(dst, uint64(t), 10), true, nil
	case uint16:
		return strconv.AppendUint(dst, uint64(t), 10), true, nil
	case uint32:
		return strconv.AppendUint(dst, uint64(t), 10), true, nil
	case uint64:
		return strconv.AppendUint(dst, t, 10), true, nil
	case float32:
		out, err := appendFloat(dst, float64(t), 32)
		return out, true, err
	case float64:
		out, err := appendFloat(dst, t, 64)
		return out, true, err
	}
	return dst, false, nil
}

// appendValue appends v as encoding/json writes it, without hashing.
func appendValue(dst []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, t), nil
	case string:
		return appendString(dst, t), nil
	case json.Number:
		return appendNumber(dst, t)
	case map[string]any:
		if t == nil {
			return append(dst, "null"...), nil
		}
		var err error
		dst = append(dst, '{')
		for i, k := range sortedKeys(t) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(appendString(dst, k), ':')
			if dst, err = appendValue(dst, t[k]); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case map[string]string:
		return appendStringMap(dst, t), nil
	case []any:
		if t == nil {
			return append(dst, "null"...), nil
		}
		var err error
		dst = append(dst, '[')
		for i, e := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendValue(dst, e); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case []string:
		return appendStrings(dst, t), nil
	case []byte:
		if t == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, t)
		return append(dst, '"'), nil
	case time.Time:
		b, err := t.MarshalJSON()
		if err != nil {
			return dst, fmt.Errorf("json: error calling MarshalJSON for type time.Time: %w", err)
		}
		return append(dst, b...), nil
	}
	if out, ok, err := appendScalarNumber(dst, v); ok {
		return out, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// appendStrings appends a string list; nil is null.
func appendStrings(dst []byte, s []string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, e := range s {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, e)
	}
	return append(dst, ']')
}

// appendStringMap appends a string map with sorted keys; nil is null.
func appendStringMap(dst []byte, m map[string]string) []byte {
	if m == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendString(dst, k), ':')
		dst = appendString(dst, m[k])
	}
	return append(dst, '}')
}

// sortedKeys returns the keys of m in encoding/json's order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
