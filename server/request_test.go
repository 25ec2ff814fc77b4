package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// Unit tests of the HTTP -> logical.Request mapping, against the fakeCore
// test double.

func TestMethodToOperation(t *testing.T) {
	tests := []struct {
		name, method, target, body string
		headers                    []string
		wantOp                     logical.Operation
		wantPath                   string
		wantData                   map[string]any
	}{
		{name: "GET is read", method: "GET", target: "/v1/secret/data/x",
			wantOp: logical.ReadOperation, wantPath: "secret/data/x"},
		{name: "GET with query data", method: "GET", target: "/v1/secret/data/x?version=2",
			wantOp: logical.ReadOperation, wantPath: "secret/data/x", wantData: map[string]any{"version": "2"}},
		{name: "GET ?list=true is list and gains a slash", method: "GET", target: "/v1/secret/metadata?list=true",
			wantOp: logical.ListOperation, wantPath: "secret/metadata/"},
		{name: "GET ?list=1 keeps other params", method: "GET", target: "/v1/secret/metadata/?list=1&after=b",
			wantOp: logical.ListOperation, wantPath: "secret/metadata/", wantData: map[string]any{"after": "b"}},
		{name: "GET ?list=false is read without list param", method: "GET", target: "/v1/secret/data/x?list=false",
			wantOp: logical.ReadOperation, wantPath: "secret/data/x"},
		{name: "LIST method", method: "LIST", target: "/v1/secret/metadata/",
			wantOp: logical.ListOperation, wantPath: "secret/metadata/"},
		{name: "LIST without trailing slash", method: "LIST", target: "/v1/auth/token/roles",
			wantOp: logical.ListOperation, wantPath: "auth/token/roles/"},
		{name: "POST is update", method: "POST", target: "/v1/secret/data/x", body: `{"a":"b"}`,
			wantOp: logical.UpdateOperation, wantPath: "secret/data/x", wantData: map[string]any{"a": "b"}},
		{name: "PUT is update", method: "PUT", target: "/v1/sys/mounts/kv", body: `{"type":"kv"}`,
			wantOp: logical.UpdateOperation, wantPath: "sys/mounts/kv", wantData: map[string]any{"type": "kv"}},
		{name: "PUT ignores the query", method: "PUT", target: "/v1/secret/data/x?list=true", body: `{}`,
			wantOp: logical.UpdateOperation, wantPath: "secret/data/x", wantData: map[string]any{}},
		{name: "PATCH with merge-patch", method: "PATCH", target: "/v1/secret/data/x", body: `{"data":{"k":"v"}}`,
			headers: []string{"Content-Type", "application/merge-patch+json"},
			wantOp:  logical.PatchOperation, wantPath: "secret/data/x",
			wantData: map[string]any{"data": map[string]any{"k": "v"}}},
		{name: "DELETE with query", method: "DELETE", target: "/v1/secret/data/x?versions=1&versions=2",
			wantOp: logical.DeleteOperation, wantPath: "secret/data/x",
			wantData: map[string]any{"versions": []string{"1", "2"}}},
		{name: "escaped path is decoded", method: "GET", target: "/v1/secret/data/a%20b",
			wantOp: logical.ReadOperation, wantPath: "secret/data/a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCore{initialized: true, handle: func(context.Context, *logical.Request) (*logical.Response, error) {
				return &logical.Response{Data: map[string]any{"keys": []string{"a"}}}, nil
			}}
			s, _ := newTestServer(t, fc)
			w := do(t, s.Handler(), tt.method, tt.target, tt.body, tt.headers...)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
			req := fc.lastRequest(t)
			if req.Operation != tt.wantOp {
				t.Errorf("operation = %q, want %q", req.Operation, tt.wantOp)
			}
			if req.Path != tt.wantPath {
				t.Errorf("path = %q, want %q", req.Path, tt.wantPath)
			}
			if tt.wantData == nil {
				if len(req.Data) != 0 {
					t.Errorf("data = %#v, want none", req.Data)
				}
				return
			}
			if !reflect.DeepEqual(req.Data, tt.wantData) {
				t.Errorf("data = %#v, want %#v", req.Data, tt.wantData)
			}
		})
	}
}

func TestRefusedMethodsAndParams(t *testing.T) {
	tests := []struct {
		name, method, target string
		headers              []string
		wantStatus           int
		wantMsg              string
	}{
		{"TRACE", "TRACE", "/v1/secret/data/x", nil, 405, ""},
		{"OPTIONS", "OPTIONS", "/v1/secret/data/x", nil, 405, ""},
		{"HEAD on a logical path", "HEAD", "/v1/secret/data/x", nil, 405, ""},
		{"unknown method", "BREW", "/v1/secret/data/x", nil, 405, ""},
		{"CONNECT", "CONNECT", "/v1/secret/data/x", nil, 405, ""},
		{"bad list flag", "GET", "/v1/secret/metadata?list=banana", nil, 400, "list parameter"},
		{"PATCH without content type", "PATCH", "/v1/secret/data/x", nil, 415, "merge-patch"},
		{"PATCH as plain JSON", "PATCH", "/v1/secret/data/x", []string{"Content-Type", "application/json"}, 415, "merge-patch"},
		{"dot-dot segment", "GET", "/v1/secret/../sys/mounts", nil, 400, "invalid request path"},
		{"escaped dot-dot segment", "GET", "/v1/secret/%2e%2e/sys/mounts", nil, 400, "invalid request path"},
		{"dot segment", "PUT", "/v1/secret/./x", nil, 400, "invalid request path"},
		{"repeated slashes", "GET", "/v1/secret//data///x", nil, 400, "empty path segments"},
		{"leading slash", "PUT", "/v1//secret/data/x", nil, 400, "empty path segments"},
		{"double trailing slash", "LIST", "/v1/secret/metadata//", nil, 400, "empty path segments"},
		{"bad wrap TTL", "GET", "/v1/secret/data/x", []string{"X-Vault-Wrap-TTL", "banana"}, 400, "X-Vault-Wrap-TTL"},
		{"negative wrap TTL", "GET", "/v1/secret/data/x", []string{"X-Vault-Wrap-TTL", "-5s"}, 400, "X-Vault-Wrap-TTL"},
		{"bare /v1/", "GET", "/v1/", nil, 404, ""},
		{"outside /v1", "GET", "/v2/secret/x", nil, 404, ""},
		{"root", "GET", "/", nil, 404, ""},
		{"wrong method on sys/init", "DELETE", "/v1/sys/init", nil, 405, ""},
		{"LIST on sys/health", "LIST", "/v1/sys/health", nil, 405, ""},
		{"POST on sys/seal-status", "POST", "/v1/sys/seal-status", nil, 405, ""},
		{"GET on sys/unseal", "GET", "/v1/sys/unseal", nil, 405, ""},
		{"GET on sys/seal", "GET", "/v1/sys/seal", nil, 405, ""},
		{"PUT on sys/leader", "PUT", "/v1/sys/leader", nil, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCore{initialized: true}
			s, _ := newTestServer(t, fc)
			w := do(t, s.Handler(), tt.method, tt.target, "", tt.headers...)
			if tt.method != "HEAD" {
				wantError(t, w, tt.wantStatus, tt.wantMsg)
			} else if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			wantCommonHeaders(t, w)
			if n := len(fc.requests()); n != 0 {
				t.Fatalf("the core received %d requests, want 0", n)
			}
		})
	}
}

func TestTokenHeaders(t *testing.T) {
	tests := []struct {
		name      string
		headers   []string
		wantToken string
	}{
		{"none", nil, ""},
		{"X-Vault-Token", []string{"X-Vault-Token", "hvs.abc"}, "hvs.abc"},
		{"Bearer", []string{"Authorization", "Bearer hvs.bearer"}, "hvs.bearer"},
		{"bearer in lower case", []string{"Authorization", "bearer hvs.lower"}, "hvs.lower"},
		{"X-Vault-Token wins over Bearer", []string{"X-Vault-Token", "hvs.header", "Authorization", "Bearer hvs.bearer"}, "hvs.header"},
		{"Basic is not a token", []string{"Authorization", "Basic dXNlcjpwYXNz"}, ""},
		{"second Authorization value", []string{"Authorization", "Basic x", "Authorization", "Bearer hvs.second"}, "hvs.second"},
		{"empty Bearer", []string{"Authorization", "Bearer "}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCore{initialized: true}
			s, _ := newTestServer(t, fc)
			do(t, s.Handler(), "GET", "/v1/auth/token/lookup-self", "", tt.headers...)
			req := fc.lastRequest(t)
			if req.ClientToken != tt.wantToken {
				t.Errorf("ClientToken = %q, want %q", req.ClientToken, tt.wantToken)
			}
			for _, h := range []string{"X-Vault-Token", "Authorization"} {
				if v := req.Headers.Values(h); len(v) != 0 {
					t.Errorf("header %s reached the core: %q", h, v)
				}
			}
		})
	}
}

func TestRequestDetails(t *testing.T) {
	fc := &fakeCore{initialized: true}
	s, _ := newTestServer(t, fc)
	r := httptest.NewRequest("PUT", "http://vault.example:8200/v1/secret/data/x", strings.NewReader(`{"a":1}`))
	r.RemoteAddr = "192.0.2.7:51234"
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set("X-Vault-Wrap-TTL", "5m")
	r.Header.Set("X-Custom", "kept")
	s.Handler().ServeHTTP(httptest.NewRecorder(), r)

	req := fc.lastRequest(t)
	if req.RemoteAddr != "192.0.2.7" || req.RemotePort != 51234 {
		t.Errorf("remote = %s:%d, want 192.0.2.7:51234", req.RemoteAddr, req.RemotePort)
	}
	if req.ContentType != "application/json" {
		t.Errorf("ContentType = %q, want application/json", req.ContentType)
	}
	if req.WrapTTL != 5*time.Minute {
		t.Errorf("WrapTTL = %v, want 5m", req.WrapTTL)
	}
	if req.Headers.Get("X-Custom") != "kept" || req.Headers.Get("Host") != "vault.example:8200" {
		t.Errorf("headers = %v, want X-Custom and Host kept", req.Headers)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !uuid.MatchString(req.ID) {
		t.Errorf("ID = %q, want a v4 UUID", req.ID)
	}
	do(t, s.Handler(), "GET", "/v1/secret/data/x", "", "X-Vault-Wrap-TTL", "300")
	second := fc.lastRequest(t)
	if second.ID == req.ID {
		t.Errorf("two requests share the ID %q", req.ID)
	}
	if second.WrapTTL != 300*time.Second {
		t.Errorf("WrapTTL = %v, want 300s", second.WrapTTL)
	}
	if dl, ok := fc.ctxs[len(fc.ctxs)-1].Deadline(); !ok || time.Until(dl) > DefaultMaxRequestDuration {
		t.Errorf("request context deadline = %v, %v; want one within %v", dl, ok, DefaultMaxRequestDuration)
	}
}

func TestBodyParsing(t *testing.T) {
	tests := []struct {
		name, body, contentType string
		want                    map[string]any
	}{
		{name: "no Content-Type (the vault CLI)", body: `{"ttl":"1h","n":5}`,
			want: map[string]any{"ttl": "1h", "n": json.Number("5")}},
		{name: "text/plain", body: `{"k":"v"}`, contentType: "text/plain",
			want: map[string]any{"k": "v"}},
		{name: "form content type still JSON", body: `{"k":"v"}`, contentType: "application/x-www-form-urlencoded",
			want: map[string]any{"k": "v"}},
		{name: "numbers keep their text", body: `{"big":12345678901234567890,"f":1.50,"e":1e3}`,
			want: map[string]any{"big": json.Number("12345678901234567890"), "f": json.Number("1.50"), "e": json.Number("1e3")}},
		{name: "nested objects and lists", body: `{"data":{"a":[1,"x",{"b":null}],"t":true}}`,
			want: map[string]any{"data": map[string]any{"a": []any{json.Number("1"), "x", map[string]any{"b": nil}}, "t": true}}},
		{name: "empty body", body: ``, want: nil},
		{name: "whitespace body", body: " \n\t ", want: nil},
		{name: "null body", body: `null`, want: nil},
		{name: "trailing whitespace", body: "{\"a\":\"b\"}\n\n", want: map[string]any{"a": "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCore{initialized: true}
			s, _ := newTestServer(t, fc)
			var headers []string
			if tt.contentType != "" {
				headers = []string{"Content-Type", tt.contentType}
			}
			w := do(t, s.Handler(), "PUT", "/v1/secret/data/x", tt.body, headers...)
			if w.Code != http.StatusNoContent {
				t.Fatalf("status = %d: %s", w.Code, w.Body.String())
			}
			if got := fc.lastRequest(t).Data; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("data = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestMalformedJSON(t *testing.T) {
	tests := []struct {
		name, body, wantMsg string
	}{
		{"truncated", `{"a":`, "unexpected end of input"},
		{"syntax", `{"a" 1}`, "invalid character '1' after object key"},
		{"single quotes", `{'a':1}`, "invalid character '\\''"},
		{"array", `[1,2]`, "must be a JSON object, not an array"},
		{"string", `"hello"`, "must be a JSON object, not a string"},
		{"number", `42`, "must be a JSON object, not a number"},
		{"trailing garbage", `{"a":1} x`, "invalid character 'x'"},
		{"second object", `{"a":1}{"b":2}`, "unexpected data after the JSON object"},
		{"trailing brace", `{"a":1}}`, "invalid character '}'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCore{initialized: true}
			s, _ := newTestServer(t, fc)
			for _, method := range []string{"PUT", "POST"} {
				w := do(t, s.Handler(), method, "/v1/secret/data/x", tt.body)
				wantError(t, w, http.StatusBadRequest, tt.wantMsg)
				if !strings.Contains(errorsOf(t, w)[0], "JSON") {
					t.Errorf("error %q does not say the problem is the JSON", errorsOf(t, w)[0])
				}
			}
			if n := len(fc.requests()); n != 0 {
				t.Fatalf("the core received %d requests for a malformed body", n)
			}
		})
	}
}

// chunkedBody hides its length so the server cannot refuse on Content-Length
// and must count the bytes as it reads.
type chunkedBody struct{ io.Reader }

func TestBodyCap(t *testing.T) {
	const limit = 1024
	payload := func(n int) string { // a JSON object of exactly n bytes
		return `{"v":"` + strings.Repeat("a", n-len(`{"v":""}`)) + `"}`
	}
	tests := []struct {
		name       string
		size       int
		chunked    bool
		wantStatus int
	}{
		{"at the limit", limit, false, http.StatusNoContent},
		{"one over, with Content-Length", limit + 1, false, http.StatusRequestEntityTooLarge},
		{"far over, with Content-Length", 10 * limit, false, http.StatusRequestEntityTooLarge},
		{"at the limit, chunked", limit, true, http.StatusNoContent},
		{"over, chunked", 4 * limit, true, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCore{initialized: true}
			s, _ := newTestServer(t, fc, func(c *Config) { c.MaxRequestSize = limit })
			var body io.Reader = strings.NewReader(payload(tt.size))
			if tt.chunked {
				body = chunkedBody{body}
			}
			r := httptest.NewRequest("PUT", "/v1/secret/data/x", body)
			if tt.chunked {
				r.ContentLength = -1
			}
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, r)
			if tt.wantStatus != http.StatusNoContent {
				wantError(t, w, tt.wantStatus, "request body too large")
				if n := len(fc.requests()); n != 0 {
					t.Fatalf("the core received %d requests for an oversized body", n)
				}
				return
			}
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.wantStatus, w.Body.String())
			}
		})
	}
}

func TestBodyCapDefaultAndUnlimited(t *testing.T) {
	s, _ := newTestServer(t, &fakeCore{})
	if s.maxRequestSize != 32<<20 {
		t.Errorf("default cap = %d, want 32 MiB", s.maxRequestSize)
	}
	fc := &fakeCore{initialized: true}
	s, _ = newTestServer(t, fc, func(c *Config) { c.MaxRequestSize = -1 })
	big := fmt.Sprintf(`{"v":%q}`, strings.Repeat("x", 64<<10))
	if w := do(t, s.Handler(), "PUT", "/v1/secret/data/x", big); w.Code != http.StatusNoContent {
		t.Fatalf("status = %d with no cap", w.Code)
	}
}

func TestRedactPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/v1/secret/data/x", "/v1/secret/data/x"},
		{"/v1/auth/token/lookup/hvs.CAESIJ1234567890abcdefgh", "/v1/auth/token/lookup/<redacted>"},
		{"/v1/auth/token/revoke/root", "/v1/auth/token/revoke/<redacted>"},
		{"/v1/auth/token//renew//my-token", "/v1/auth/token/renew/<redacted>"},
		{"/v1/auth/token/revoke-orphan/abc/def", "/v1/auth/token/revoke-orphan/<redacted>"},
		{"/v1/auth/token/lookup", "/v1/auth/token/lookup"},
		{"/v1/auth/token/lookup-self", "/v1/auth/token/lookup-self"},
		{"/v1/cubbyhole/hvs.AAAAAAAAAAAAAAAAAAAAAAAA/x", "/v1/cubbyhole/<redacted>/x"},
		{"/v1/secret/data/s.1234567890abcdefghij", "/v1/secret/data/<redacted>"},
		{"/v1/secret/data/file.txt", "/v1/secret/data/file.txt"},
		{"/v1/secret/metadata/", "/v1/secret/metadata/"},
	}
	for _, tt := range tests {
		if got := redactPath(tt.in); got != tt.want {
			t.Errorf("redactPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
