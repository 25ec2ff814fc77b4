package logical

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// FieldType is how a request field is decoded. Decoding is lenient, as
// Vault's is, because the vault CLI sends every value as a string.
type FieldType int

// The field types.
const (
	// TypeString takes a string, or a number or bool written as its text.
	TypeString FieldType = iota + 1
	// TypeInt takes 5 or "5".
	TypeInt
	// TypeBool takes true or "true" (and the other strconv.ParseBool forms).
	TypeBool
	// TypeDuration takes "1h", "90s", "3600" or 3600; it decodes to a
	// time.Duration. Negative durations are refused.
	TypeDuration
	// TypeStringList takes ["a","b"], "a,b" or "a"; empty items are dropped.
	TypeStringList
	// TypeMap takes a JSON object; it decodes to map[string]any.
	TypeMap
	// TypeStringMap takes a JSON object whose values are strings, or
	// "k1=v1,k2=v2"; it decodes to map[string]string.
	TypeStringMap
	// TypeIntList takes [1,2], "1,2" or 1; it decodes to []int64.
	TypeIntList
)

// FieldSchema declares one field.
type FieldSchema struct {
	Type    FieldType
	Default any
	// Description is shown by path help (?help=1).
	Description string
}

// FieldData decodes request data against a schema.
type FieldData struct {
	Raw    map[string]any
	Schema map[string]*FieldSchema
}

// Validate decodes every field present in Raw that the schema knows and
// returns a 400 naming the first field that cannot be read as its type.
func (d *FieldData) Validate() error {
	for name, schema := range d.Schema {
		raw, ok := d.Raw[name]
		if !ok {
			continue
		}
		if _, err := DecodeField(schema.Type, raw); err != nil {
			return InvalidRequest("error converting input for field %q: %v", name, err)
		}
	}
	return nil
}

// GetOk returns the decoded value of a field and whether the request set it.
// A field the request did not set yields its default (or the type's zero).
func (d *FieldData) GetOk(name string) (any, bool, error) {
	schema, ok := d.Schema[name]
	if !ok {
		return nil, false, fmt.Errorf("field %q is not in the schema", name)
	}
	raw, set := d.Raw[name]
	if !set || raw == nil {
		if schema.Default != nil {
			v, err := DecodeField(schema.Type, schema.Default)
			return v, false, err
		}
		return zeroValue(schema.Type), false, nil
	}
	v, err := DecodeField(schema.Type, raw)
	if err != nil {
		return nil, true, InvalidRequest("error converting input for field %q: %v", name, err)
	}
	return v, true, nil
}

// Get returns the decoded value of a field, its default when unset. It
// panics on a name missing from the schema or an undecodable value, so call
// Validate first.
func (d *FieldData) Get(name string) any {
	v, _, err := d.GetOk(name)
	if err != nil {
		panic(err)
	}
	return v
}

func zeroValue(t FieldType) any {
	switch t {
	case TypeString:
		return ""
	case TypeInt:
		return int64(0)
	case TypeBool:
		return false
	case TypeDuration:
		return time.Duration(0)
	case TypeStringList:
		return []string{}
	case TypeMap:
		return map[string]any{}
	case TypeStringMap:
		return map[string]string{}
	case TypeIntList:
		return []int64{}
	}
	return nil
}

// DecodeField reads a raw JSON value as the given type.
func DecodeField(t FieldType, raw any) (any, error) {
	switch t {
	case TypeString:
		return ParseString(raw)
	case TypeInt:
		return ParseInt(raw)
	case TypeBool:
		return ParseBool(raw)
	case TypeDuration:
		return ParseDuration(raw)
	case TypeStringList:
		return ParseStringList(raw)
	case TypeMap:
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("expected a JSON object, got %T", raw)
		}
		return m, nil
	case TypeStringMap:
		return ParseStringMap(raw)
	case TypeIntList:
		return ParseIntList(raw)
	}
	return nil, fmt.Errorf("unknown field type %d", t)
}

// ParseString reads a string, or a number or bool as its text.
func ParseString(raw any) (string, error) {
	switch v := raw.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("expected a string, got %T", raw)
}

// ParseInt reads an integer from a number or its decimal text.
func ParseInt(raw any) (int64, error) {
	switch v := raw.(type) {
	case int:
		return int64(v), nil
	case int64:
		return v, nil
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > math.MaxInt64/2 {
			return 0, fmt.Errorf("%v is not an integer", v)
		}
		return int64(v), nil
	case json.Number:
		return parseIntText(v.String())
	case string:
		return parseIntText(strings.TrimSpace(v))
	}
	return 0, fmt.Errorf("expected an integer, got %T", raw)
}

func parseIntText(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	return n, nil
}

// ParseBool reads true/false or their text forms.
func ParseBool(raw any) (bool, error) {
	switch v := raw.(type) {
	case bool:
		return v, nil
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return false, fmt.Errorf("%q is not a boolean", v)
		}
		return b, nil
	case json.Number:
		return parseBoolNumber(v.String())
	case float64:
		return parseBoolNumber(strconv.FormatFloat(v, 'f', -1, 64))
	}
	return false, fmt.Errorf("expected a boolean, got %T", raw)
}

func parseBoolNumber(s string) (bool, error) {
	switch s {
	case "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, fmt.Errorf("%s is not a boolean", s)
}

// ParseDuration reads a duration: a Go duration string ("1h", "90s"), plain
// seconds as text ("3600") or as a number (3600). Negative values and
// fractional seconds given as numbers are refused.
func ParseDuration(raw any) (time.Duration, error) {
	var d time.Duration
	switch v := raw.(type) {
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return 0, nil
		}
		if isIntegerText(s) {
			return secondsText(s)
		}
		parsed, err := parseDurationText(s)
		if err != nil {
			return 0, err
		}
		d = parsed
	case json.Number:
		if isIntegerText(v.String()) {
			return secondsText(v.String())
		}
		f, err := v.Float64()
		if err == nil && math.Abs(f) > float64(maxDurationSeconds) {
			return 0, fmt.Errorf("duration %s is too large", v)
		}
		return 0, fmt.Errorf("expected a duration, got %v", raw)
	case float64:
		if math.Abs(v) > float64(maxDurationSeconds) {
			return 0, fmt.Errorf("duration %v is too large", v)
		}
		n, err := ParseInt(v)
		if err != nil {
			return 0, fmt.Errorf("expected a duration, got %v", raw)
		}
		d = time.Duration(n) * time.Second
	case nil:
		return 0, nil
	default:
		n, err := ParseInt(raw)
		if err != nil {
			return 0, fmt.Errorf("expected a duration, got %v", raw)
		}
		if n > maxDurationSeconds || n < -maxDurationSeconds {
			return 0, fmt.Errorf("duration %d is too large", n)
		}
		d = time.Duration(n) * time.Second
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %v is negative", raw)
	}
	return d, nil
}

// maxDurationSeconds is the most whole seconds a time.Duration holds.
const maxDurationSeconds = math.MaxInt64 / int64(time.Second)

// isIntegerText reports whether s is an optional sign and decimal digits.
func isIntegerText(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// secondsText reads a whole number of seconds written as text, refusing
// what a time.Duration cannot hold instead of letting it wrap.
func secondsText(s string) (time.Duration, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	if err != nil || n > maxDurationSeconds || n < -maxDurationSeconds {
		return 0, fmt.Errorf("duration %s is too large", s)
	}
	if n < 0 {
		return 0, fmt.Errorf("duration %s is negative", s)
	}
	return time.Duration(n) * time.Second, nil
}

// goDuration matches Go's duration syntax, so that a well-formed value
// time.ParseDuration refuses is known to be out of range.
var goDuration = regexp.MustCompile(`^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$`)

// parseDurationText accepts Go's syntax plus a "d" suffix for days, which
// Vault also takes.
func parseDurationText(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if !isIntegerText(days) {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		n, err := strconv.ParseInt(days, 10, 64)
		const maxDays = math.MaxInt64 / int64(24*time.Hour)
		if err != nil || n > maxDays || n < -maxDays {
			return 0, fmt.Errorf("duration %s is too large", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if goDuration.MatchString(s) {
			return 0, fmt.Errorf("duration %s is too large", s)
		}
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	return d, nil
}

// ParseStringList reads a list of strings from a JSON array, a
// comma-separated string, or a single string. Items are trimmed and empty
// items dropped.
func ParseStringList(raw any) ([]string, error) {
	var items []string
	switch v := raw.(type) {
	case []string:
		items = v
	case []any:
		for _, item := range v {
			s, err := ParseString(item)
			if err != nil {
				return nil, fmt.Errorf("list item: %w", err)
			}
			items = append(items, s)
		}
	case string:
		items = strings.Split(v, ",")
	case nil:
	default:
		s, err := ParseString(raw)
		if err != nil {
			return nil, fmt.Errorf("expected a list of strings, got %T", raw)
		}
		items = []string{s}
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out, nil
}

// ParseIntList reads a list of integers from a JSON array, a
// comma-separated string, or a single number.
func ParseIntList(raw any) ([]int64, error) {
	var items []any
	switch v := raw.(type) {
	case []any:
		items = v
	case string:
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
	default:
		items = []any{raw}
	}
	out := make([]int64, 0, len(items))
	for _, item := range items {
		n, err := ParseInt(item)
		if err != nil {
			return nil, fmt.Errorf("list item: %w", err)
		}
		out = append(out, n)
	}
	return out, nil
}

// ParseStringMap reads a JSON object of string values, or "k=v,k2=v2".
func ParseStringMap(raw any) (map[string]string, error) {
	out := map[string]string{}
	switch v := raw.(type) {
	case map[string]any:
		for k, val := range v {
			s, err := ParseString(val)
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", k, err)
			}
			out[k] = s
		}
	case map[string]string:
		for k, val := range v {
			out[k] = val
		}
	case string:
		for _, pair := range strings.Split(v, ",") {
			if pair = strings.TrimSpace(pair); pair == "" {
				continue
			}
			k, val, ok := strings.Cut(pair, "=")
			if !ok {
				return nil, fmt.Errorf("%q is not key=value", pair)
			}
			out[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
	case nil:
	default:
		return nil, fmt.Errorf("expected a map of strings, got %T", raw)
	}
	return out, nil
}

// RequestFields decodes a request's data against schema for an engine:
// members whose value is JSON null count as unset, and Validate turns any
// member that cannot be read as its type into a 400 naming the field.
func RequestFields(req *Request, schema map[string]*FieldSchema) (*FieldData, error) {
	raw := make(map[string]any, len(req.Data))
	for k, v := range req.Data {
		if v != nil {
			raw[k] = v
		}
	}
	fd := &FieldData{Raw: raw, Schema: schema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	return fd, nil
}
