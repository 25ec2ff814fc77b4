package server

import (
	"context"
	"encoding/json"
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

// BenchmarkEnvelopeEncoding compares, on the same answers, how the server
// writes a body now (served: a long LIST in pieces, the rest whole) with
// encoding the envelope in one json.Encoder call as it did before
// (before): a KV v2 read and a LIST of 10,000 names, the body going to a
// writer that discards it.
func BenchmarkEnvelopeEncoding(b *testing.B) {
	read := &logical.Response{Data: map[string]any{
		"data":     map[string]any{"user": "app", "password": "hunter2", "port": json.Number("5432")},
		"metadata": map[string]any{"created_time": "2026-01-01T00:00:00.123456789Z", "custom_metadata": nil, "deletion_time": "", "destroyed": false, "version": 3},
	}}
	answers := []struct {
		name string
		req  *logical.Request
		resp *logical.Response
	}{
		{"read", &logical.Request{ID: "0b0c6a58-52a4-8d6f-0a44-1f5e7d1c2b3a", Operation: logical.ReadOperation, Path: "secret/data/app", MountType: "kv"}, read},
		{"list-10k", &logical.Request{ID: "0b0c6a58-52a4-8d6f-0a44-1f5e7d1c2b3a", Operation: logical.ListOperation, Path: "secret/metadata/team/", MountType: "kv"},
			&logical.Response{Data: map[string]any{"keys": listOf(10_000)}}},
	}
	for _, a := range answers {
		b.Run(a.name+"/before", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				writeJSON(newDiscardWriter(), http.StatusOK, newEnvelope(a.req, a.resp))
			}
		})
		b.Run(a.name+"/served", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				respondLogical(newDiscardWriter(), a.req, a.resp, nil)
			}
		})
	}
}
