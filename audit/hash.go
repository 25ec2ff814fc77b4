package audit

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"
)

// HMACPrefix starts every HMAC'd value, as in Vault.
const HMACPrefix = "hmac-sha256:"

// macer computes HMAC-SHA256 keyed by one salt. HMAC states are pooled: a
// reset HMAC restarts from its precomputed keyed state, so no key schedule
// runs on the hot path.
type macer struct {
	pool sync.Pool
}

func newMacer(salt []byte) *macer {
	key := bytes.Clone(salt)
	m := &macer{}
	m.pool.New = func() any { return hmac.New(sha256.New, key) }
	return m
}

// sum returns "hmac-sha256:<hex>" of s.
func (m *macer) sum(s string) string {
	h := m.pool.Get().(hash.Hash)
	h.Reset()
	_, _ = io.WriteString(h, s) // a hash never fails to write
	var raw [sha256.Size]byte
	digest := h.Sum(raw[:0])
	m.pool.Put(h)

	out := make([]byte, len(HMACPrefix)+hex.EncodedLen(len(digest)))
	copy(out, HMACPrefix)
	hex.Encode(out[len(HMACPrefix):], digest)
	return string(out)
}

// hasher rewrites a data tree into a fresh copy in which every scalar
// that may be secret is HMAC'd: strings, numbers (of their JSON text, so
// 4111111111111111 and "4111111111111111" hash alike) and booleans, at
// every depth, in lists too. Nulls are kept; times become RFC 3339 text
// (not HMAC'd, as in Vault). A scalar is left in plain text when the
// nearest map key above it is in exempt - Vault's rule for the
// audit_non_hmac_* tunes. The input is never modified.
type hasher struct {
	mac    func(string) string
	exempt []string
}

// copyMap returns a hashed copy of a data map; nil stays nil.
func (h hasher) copyMap(in map[string]any) (map[string]any, error) {
	if in == nil {
		return nil, nil
	}
	out := make(map[string]any, len(in))
	for k, v := range in {
		hv, err := h.value(k, v)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		out[k] = hv
	}
	return out, nil
}

func (h hasher) str(key, s string) string {
	if slices.Contains(h.exempt, key) {
		return s
	}
	return h.mac(s)
}

// value returns the hashed copy of v, found under map key key.
func (h hasher) value(key string, v any) (any, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case bool:
		if slices.Contains(h.exempt, key) {
			return t, nil
		}
		return h.mac(strconv.FormatBool(t)), nil
	case json.Number:
		if slices.Contains(h.exempt, key) {
			return t, nil
		}
		return h.mac(t.String()), nil
	case int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64,
		float32, float64:
		if slices.Contains(h.exempt, key) {
			return v, nil
		}
		text, err := json.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("encode number for hashing: %w", err)
		}
		return h.mac(string(text)), nil
	case string:
		return h.str(key, t), nil
	case time.Time:
		return t.Format(time.RFC3339Nano), nil
	case []byte:
		return h.str(key, base64.StdEncoding.EncodeToString(t)), nil
	case map[string]any:
		return h.copyMap(t)
	case map[string]string:
		out := make(map[string]string, len(t))
		for k, s := range t {
			out[k] = h.str(k, s)
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			he, err := h.value(key, e)
			if err != nil {
				return nil, err
			}
			out[i] = he
		}
		return out, nil
	case []string:
		out := make([]string, len(t))
		for i, s := range t {
			out[i] = h.str(key, s)
		}
		return out, nil
	case []map[string]any:
		out := make([]any, len(t))
		for i, m := range t {
			hm, err := h.copyMap(m)
			if err != nil {
				return nil, err
			}
			out[i] = hm
		}
		return out, nil
	default:
		// Any other type (structs, typed maps and slices, named string
		// types) goes through its JSON form, so that whatever would be
		// written is what gets hashed and nothing escapes as plain text.
		generic, err := toGeneric(v)
		if err != nil {
			return nil, err
		}
		return h.value(key, generic)
	}
}

// toGeneric returns the JSON form of v decoded into maps, slices, strings,
// json.Numbers, booleans and nil.
func toGeneric(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T for hashing: %w", v, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("decode %T for hashing: %w", v, err)
	}
	switch out.(type) {
	case map[string]any, []any, string, json.Number, bool, nil:
		return out, nil
	}
	return nil, fmt.Errorf("unexpected JSON form %T of %T", out, v)
}

// elideList returns a shallow copy of list-response data in which keys and
// key_info are replaced by their length, as Vault's elide_list_responses
// does.
func elideList(data map[string]any) map[string]any {
	if data == nil {
		return nil
	}
	out := make(map[string]any, len(data))
	for k, v := range data {
		out[k] = v
		switch k {
		case "keys":
			switch s := v.(type) {
			case []string:
				out[k] = len(s)
			case []any:
				out[k] = len(s)
			}
		case "key_info":
			if m, ok := v.(map[string]any); ok {
				out[k] = len(m)
			}
		}
	}
	return out
}
