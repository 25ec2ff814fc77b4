package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// BenchmarkHandler measures the HTTP layer's own overhead: one request
// through Handler() to a no-op core (the fakeCore test double answering a
// small canned response), with logging at Info so request lines are skipped
// as in production.
func BenchmarkHandler(b *testing.B) {
	resp := &logical.Response{Data: map[string]any{"data": map[string]any{"k": "v"}}}
	fc := &fakeCore{initialized: true, handle: func(context.Context, *logical.Request) (*logical.Response, error) {
		return resp, nil
	}}
	s, err := New(Config{Core: fc, TLSDisable: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	// baseline is the cost of building the request and recorder alone,
	// to subtract from the others.
	baseline := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	cases := []struct {
		name, method, target, body string
		h                          http.Handler
	}{
		{"baseline", "GET", "/v1/secret/data/app/config", "", baseline},
		{"read", "GET", "/v1/secret/data/app/config", "", s.Handler()},
		{"write", "PUT", "/v1/secret/data/app/config", `{"data":{"user":"app","password":"hunter2","port":5432}}`, s.Handler()},
		{"list", "LIST", "/v1/secret/metadata/app", "", s.Handler()},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				fc.mu.Lock()
				fc.reqs, fc.ctxs = fc.reqs[:0], fc.ctxs[:0]
				fc.mu.Unlock()
				var body io.Reader
				if c.body != "" {
					body = strings.NewReader(c.body)
				}
				r := httptest.NewRequest(c.method, c.target, body)
				r.Header.Set("X-Vault-Token", "hvs.benchmarktoken")
				w := httptest.NewRecorder()
				c.h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body.String())
				}
			}
		})
	}
}
