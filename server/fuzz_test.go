package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// fieldTypes are every field type the engines decode request data with.
var fieldTypes = []logical.FieldType{
	logical.TypeString, logical.TypeInt, logical.TypeBool, logical.TypeDuration,
	logical.TypeStringList, logical.TypeMap, logical.TypeStringMap, logical.TypeIntList,
}

// FuzzRequestDecoding drives request decoding end to end: an HTTP request
// with any method, wrap-TTL header and body becomes a logical.Request, and
// every field of its data is decoded as every field type. Nothing may
// panic; every refusal is a coded 4xx (bad input is never a 500); a
// decoded duration is never negative.
func FuzzRequestDecoding(f *testing.F) {
	for _, seed := range []string{
		`{"data":{"pin":987654321,"acct":4111111111111111}}`,
		`{"ttl":"18446744074","max_lease_ttl":"106752d","policies":"a,b","num_uses":"5"}`,
		`{"ttl":9223372037,"period":"2562048h","renewable":"true","meta":{"k":"v"}}`,
		`{"versions":[1,"2",3.5],"options":"a=b,c=d","list":[["x"]]}`,
		`[]`, `null`, `{"a":1}{"b":2}`, `{"a":`, `"str"`, ``,
	} {
		f.Add(uint8(0), "", []byte(seed))
		f.Add(uint8(4), "5m", []byte(seed))
	}
	methods := []string{http.MethodGet, methodList, http.MethodDelete, http.MethodPost, http.MethodPut, http.MethodPatch, "TRACE"}
	s, _ := newTestServer(f, &fakeCore{initialized: true}, func(c *Config) { c.MaxRequestSize = 1 << 16 })
	f.Fuzz(func(t *testing.T, method uint8, wrapTTL string, body []byte) {
		m := methods[int(method)%len(methods)]
		r := httptest.NewRequest(m, "/v1/secret/data/x?list=true", bytes.NewReader(body))
		r.Header.Set("X-Vault-Token", "hvs.fuzz")
		if wrapTTL != "" {
			r.Header.Set(headerWrapTTL, wrapTTL)
		}
		if m == http.MethodPatch {
			r.Header.Set("Content-Type", mergePatch)
		}
		req, err := s.buildRequest(httptest.NewRecorder(), r, "secret/data/x")
		if err != nil {
			wantClientError(t, err)
			return
		}
		if req.WrapTTL < 0 {
			t.Fatalf("negative wrap TTL %v", req.WrapTTL)
		}
		schema := map[string]*logical.FieldSchema{}
		for name, raw := range req.Data {
			for _, ft := range fieldTypes {
				v, err := logical.DecodeField(ft, raw)
				if err != nil {
					continue
				}
				if d, ok := v.(time.Duration); ok {
					if d < 0 {
						t.Fatalf("field %q decoded to a negative duration %v", name, d)
					}
					// A whole number of seconds decodes to exactly that
					// many seconds, never a wrapped value.
					if n, ok := wholeSeconds(raw); ok && (d%time.Second != 0 || int64(d/time.Second) != n) {
						t.Fatalf("field %q: %v decoded to %v", name, raw, d)
					}
				}
			}
			schema[name] = &logical.FieldSchema{Type: fieldTypes[len(name)%len(fieldTypes)]}
		}
		fd := &logical.FieldData{Raw: req.Data, Schema: schema}
		if err := fd.Validate(); err != nil {
			wantClientError(t, err)
			return
		}
		for name := range schema {
			_ = fd.Get(name) // Validate passed: Get must not panic
		}
	})
}

func wantClientError(t *testing.T, err error) {
	t.Helper()
	var coded *logical.CodedError
	if !errors.As(err, &coded) || coded.Status < 400 || coded.Status > 499 {
		t.Fatalf("refusal %v (%T) is not a coded 4xx", err, err)
	}
}

// wholeSeconds returns the integer a JSON number or numeric string holds.
func wholeSeconds(raw any) (int64, bool) {
	var text string
	switch v := raw.(type) {
	case json.Number:
		text = v.String()
	case string:
		text = strings.TrimSpace(v)
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(text, 10, 64)
	return n, err == nil
}
