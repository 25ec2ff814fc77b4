package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// listOf returns n list names like a KV folder's: keys and, every 100th, a
// sub-folder.
func listOf(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		if i%100 == 99 {
			keys[i] = fmt.Sprintf("service-%05d/", i)
			continue
		}
		keys[i] = fmt.Sprintf("service-%05d", i)
	}
	return keys
}

// discardWriter is an http.ResponseWriter that keeps only what a test
// asks about the body: its size and the size of the largest Write.
type discardWriter struct {
	header   http.Header
	status   int
	total    int
	writes   int
	maxWrite int
}

func newDiscardWriter() *discardWriter { return &discardWriter{header: http.Header{}} }

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.total += len(p)
	w.writes++
	w.maxWrite = max(w.maxWrite, len(p))
	return len(p), nil
}

// BenchmarkList10kFolder measures the HTTP layer answering a LIST of
// 10,000 names (the core is the fakeCore test double returning a ready
// answer), the body going to a writer that discards it: what is left is
// the cost of rendering and writing the envelope.
func BenchmarkList10kFolder(b *testing.B) {
	keys := listOf(10_000)
	fc := &fakeCore{initialized: true, handle: func(context.Context, *logical.Request) (*logical.Response, error) {
		return &logical.Response{Data: map[string]any{"keys": keys}}, nil
	}}
	s, err := New(Config{Core: fc, TLSDisable: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	b.ReportAllocs()
	var w *discardWriter
	for b.Loop() {
		fc.mu.Lock()
		fc.reqs, fc.ctxs = fc.reqs[:0], fc.ctxs[:0]
		fc.mu.Unlock()
		r := httptest.NewRequest("LIST", "/v1/secret/metadata/team", nil)
		r.Header.Set("X-Vault-Token", "hvs.benchmarktoken")
		w = newDiscardWriter()
		h.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
	b.ReportMetric(float64(w.total), "body-bytes")
	b.ReportMetric(float64(w.maxWrite), "max-write-bytes")
}
