package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// refHMAC is an independent HMAC computation to check the formatter's.
func refHMAC(salt []byte, s string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(s))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}

func TestMacerMatchesHMACSHA256(t *testing.T) {
	salt := []byte("0123456789abcdef")
	m := newMacer(salt)
	for _, s := range []string{"", "s3cr3t", "hvs.CAESIJ", "ünïcødé"} {
		if got, want := m.sum(s), refHMAC(salt, s); got != want {
			t.Fatalf("sum(%q) = %s, want %s", s, got, want)
		}
	}
	// The salt is copied: changing the caller's slice changes nothing.
	before := m.sum("x")
	salt[0] = 'X'
	if m.sum("x") != before {
		t.Fatal("macer follows changes to the caller's salt slice")
	}
}

type structValue struct {
	User string    `json:"user"`
	N    int       `json:"n"`
	At   time.Time `json:"at"`
}

type namedString string

func TestHasherCopiesAndHashes(t *testing.T) {
	salt := []byte("salt")
	mac := func(s string) string { return refHMAC(salt, s) }
	at := time.Date(2024, 5, 1, 12, 0, 0, 5, time.UTC)
	in := map[string]any{
		"password": "s3cr3t",
		"num":      json.Number("42"),
		"float":    3.5,
		"int":      7,
		"flag":     true,
		"none":     nil,
		"when":     at,
		"bytes":    []byte("raw"),
		"list":     []any{"a", json.Number("1"), map[string]any{"deep": "d"}},
		"strs":     []string{"x", "y"},
		"smap":     map[string]string{"k": "v"},
		"maps":     []map[string]any{{"m": "n"}},
		"nested":   map[string]any{"username": "app", "inner": map[string]any{"username": "deep"}},
		"struct":   structValue{User: "u", N: 3, At: at},
		"named":    namedString("named"),
	}
	orig := deepCopyJSON(t, in)

	h := hasher{mac: mac, exempt: []string{"username"}}
	out, err := h.copyMap(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"password": mac("s3cr3t"),
		"num":      mac("42"),
		"float":    mac("3.5"),
		"int":      mac("7"),
		"flag":     mac("true"),
		"none":     nil,
		"when":     at.Format(time.RFC3339Nano),
		"bytes":    mac("cmF3"),
		"list":     []any{mac("a"), mac("1"), map[string]any{"deep": mac("d")}},
		"strs":     []string{mac("x"), mac("y")},
		"smap":     map[string]string{"k": mac("v")},
		"maps":     []any{map[string]any{"m": mac("n")}},
		// Vault's rule: the nearest enclosing key decides, at any depth.
		"nested": map[string]any{"username": "app", "inner": map[string]any{"username": "deep"}},
		"struct": map[string]any{"user": mac("u"), "n": mac("3"), "at": mac(at.Format(time.RFC3339Nano))},
		"named":  mac("named"),
	}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("hashed copy:\n got %#v\nwant %#v", out, want)
	}
	if !reflect.DeepEqual(deepCopyJSON(t, in), orig) {
		t.Fatal("hashing modified its input")
	}
}

func TestHasherRejectsUnencodable(t *testing.T) {
	h := hasher{mac: func(s string) string { return s }}
	if _, err := h.copyMap(map[string]any{"c": make(chan int)}); err == nil {
		t.Fatal("a channel was accepted")
	}
}

func TestElideList(t *testing.T) {
	in := map[string]any{
		"keys":     []string{"a", "b", "c"},
		"key_info": map[string]any{"a": 1, "b": 2},
		"other":    "x",
	}
	got := elideList(in)
	want := map[string]any{"keys": 3, "key_info": 2, "other": "x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
	if _, ok := in["keys"].([]string); !ok {
		t.Fatal("elision modified its input")
	}
	if got := elideList(map[string]any{"keys": []any{"a", "b"}}); got["keys"] != 2 {
		t.Fatalf("[]any keys not elided: %#v", got)
	}
}

// deepCopyJSON returns a JSON snapshot of v for before/after comparison.
func deepCopyJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHasherHashesEveryScalar: numbers and booleans are secret data too,
// at any depth and in lists; a number hashes as its JSON text, so the
// HMAC of a number equals sys/audit-hash of its digits; exempt keys keep
// the value as it was.
func TestHasherHashesEveryScalar(t *testing.T) {
	salt := []byte("salt")
	mac := func(s string) string { return refHMAC(salt, s) }
	h := hasher{mac: mac, exempt: []string{"port"}}
	in := map[string]any{
		"data": map[string]any{
			"pin":   json.Number("987654321"),
			"acct":  json.Number("4111111111111111"),
			"big":   json.Number("123456789012345678901234567890"),
			"admin": false,
			"codes": []any{json.Number("1"), true, []any{json.Number("-2.5e3")}},
			"port":  json.Number("5432"),
			"u64":   uint64(18446744073709551615),
			"f":     1e21,
		},
	}
	out, err := h.copyMap(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"data": map[string]any{
			"pin":   mac("987654321"),
			"acct":  mac("4111111111111111"),
			"big":   mac("123456789012345678901234567890"),
			"admin": mac("false"),
			"codes": []any{mac("1"), mac("true"), []any{mac("-2.5e3")}},
			"port":  json.Number("5432"),
			"u64":   mac("18446744073709551615"),
			"f":     mac("1e+21"),
		},
	}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("hashed copy:\n got %#v\nwant %#v", out, want)
	}
	if in["data"].(map[string]any)["acct"] != json.Number("4111111111111111") {
		t.Fatal("hashing modified its input")
	}
}
