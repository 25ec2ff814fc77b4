package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// FuzzAuditHasher feeds any JSON object, decoded as the server decodes
// request bodies (numbers as json.Number), through the hasher and the
// formatter. Hashing never fails on decoded JSON and never changes its
// input; in the copy every non-null scalar is an HMAC unless its nearest
// key is exempt; and the formatted entry is one line of valid JSON.
func FuzzAuditHasher(f *testing.F) {
	for _, seed := range []string{
		`{"data":{"pin":987654321,"acct":4111111111111111,"ok":true,"none":null}}`,
		`{"list":[1,"two",[3,{"four":4.5e10}],false],"username":"app"}`,
		`{"keys":["a","b"],"key_info":{"a":{"n":1}}}`,
		`{"":"","\u2028":"\u0000","deep":{"deep":{"deep":{"deep":"x"}}}}`,
		`{"big":123456789012345678901234567890,"neg":-0.0e-0}`,
	} {
		f.Add([]byte(seed))
	}
	salt := []byte("fuzz-salt-0123456789abcdef")
	exempt := []string{"username"}
	fm, err := NewFormatter(salt, FormatOptions{}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var data map[string]any
		if err := dec.Decode(&data); err != nil || data == nil {
			return
		}
		before, err := json.Marshal(data)
		if err != nil {
			t.Fatalf("re-encoding decoded JSON: %v", err)
		}
		h := fm.hasher(exempt)
		out, err := h.copyMap(data)
		if err != nil {
			t.Fatalf("hashing decoded JSON failed: %v", err)
		}
		if after, _ := json.Marshal(data); !bytes.Equal(before, after) {
			t.Fatal("hashing changed its input")
		}
		checkHashed(t, "", out, false)

		line, err := fm.FormatRequest(&LogInput{Request: &logical.Request{
			ID: "fuzz", Operation: logical.UpdateOperation, Path: "secret/data/x", Data: data,
		}})
		if err != nil {
			t.Fatalf("format: %v", err)
		}
		if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
			t.Fatalf("the entry is not one line: %q", line)
		}
		var entry map[string]any
		if err := json.Unmarshal(line, &entry); err != nil {
			t.Fatalf("the entry is not JSON: %v\n%s", err, line)
		}
	})
}

// checkHashed fails unless every non-null scalar in v is an HMAC, or sits
// under an exempt key.
func checkHashed(t *testing.T, key string, v any, exempt bool) {
	t.Helper()
	switch x := v.(type) {
	case nil:
	case map[string]any:
		for k, e := range x {
			checkHashed(t, k, e, k == "username")
		}
	case []any:
		for _, e := range x {
			checkHashed(t, key, e, exempt)
		}
	case string:
		if !exempt && !strings.HasPrefix(x, HMACPrefix) {
			t.Fatalf("%q: %q is not hashed", key, x)
		}
	default:
		if !exempt {
			t.Fatalf("%q: %v (%T) is not hashed", key, x, x)
		}
	}
}
