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
		"num":      json.Number("42"),
		"float":    3.5,
		"int":      7,
		"flag":     true,
		"none":     nil,
		"when":     at.Format(time.RFC3339Nano),
		"bytes":    mac("cmF3"),
		"list":     []any{mac("a"), json.Number("1"), map[string]any{"deep": mac("d")}},
		"strs":     []string{mac("x"), mac("y")},
		"smap":     map[string]string{"k": mac("v")},
		"maps":     []any{map[string]any{"m": mac("n")}},
		// Vault's rule: the nearest enclosing key decides, at any depth.
		"nested": map[string]any{"username": "app", "inner": map[string]any{"username": "deep"}},
		"struct": map[string]any{"user": mac("u"), "n": json.Number("3"), "at": mac(at.Format(time.RFC3339Nano))},
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
