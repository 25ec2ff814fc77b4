package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaultd/vaultd/core"
	"github.com/vaultd/vaultd/logical"
)

// fakeCore is a TEST DOUBLE of the core, used only by the unit tests of the
// HTTP mapping in this package: it records what the server hands it and
// answers what each test tells it to. It implements no seal, token or ACL
// logic. End-to-end tests against the real core are the lead's, elsewhere.
type fakeCore struct {
	mu sync.Mutex

	sealed      bool
	initialized bool
	// handle answers HandleRequest; nil answers (nil, nil).
	handle func(ctx context.Context, req *logical.Request) (*logical.Response, error)
	// err, when set, is returned by the seal-state methods.
	err error
	// initResult is what Initialize returns.
	initResult *core.InitResult

	reqs       []*logical.Request
	ctxs       []context.Context
	shares     [][]byte
	resets     int
	sealAddrs  []string
	sealTokens []string
	initCalls  []core.InitParams
}

func (f *fakeCore) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.ctxs = append(f.ctxs, ctx)
	h := f.handle
	f.mu.Unlock()
	if h == nil {
		return nil, nil
	}
	return h(ctx, req)
}

func (f *fakeCore) Initialized(context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.initialized, f.err
}

func (f *fakeCore) Initialize(_ context.Context, p core.InitParams) (*core.InitResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.initCalls = append(f.initCalls, p)
	if f.err != nil {
		return nil, f.err
	}
	return f.initResult, nil
}

func (f *fakeCore) Unseal(_ context.Context, share []byte) (*core.SealStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shares = append(f.shares, share)
	if f.err != nil {
		return nil, f.err
	}
	return f.statusLocked(), nil
}

func (f *fakeCore) ResetUnseal(context.Context) (*core.SealStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resets++
	f.shares = nil
	return f.statusLocked(), f.err
}

func (f *fakeCore) SealStatus(context.Context) (*core.SealStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return f.statusLocked(), nil
}

func (f *fakeCore) statusLocked() *core.SealStatus {
	st := &core.SealStatus{
		Type: "shamir", Initialized: f.initialized, Sealed: f.sealed,
		T: 3, N: 5, Progress: len(f.shares), Version: "0.1.0-test",
		StorageType: "inmem", ClusterName: "vaultd-test", ClusterID: "c0ffee",
	}
	return st
}

func (f *fakeCore) Seal(_ context.Context, req *logical.Request) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sealTokens = append(f.sealTokens, req.ClientToken)
	f.sealAddrs = append(f.sealAddrs, req.RemoteAddr)
	return f.err
}

func (f *fakeCore) Sealed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sealed
}

func (f *fakeCore) requests() []*logical.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*logical.Request(nil), f.reqs...)
}

func (f *fakeCore) lastRequest(t *testing.T) *logical.Request {
	t.Helper()
	reqs := f.requests()
	if len(reqs) == 0 {
		t.Fatal("the core received no request")
	}
	return reqs[len(reqs)-1]
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTestServer builds a plaintext server over fc that logs everything
// (debug level) into the returned buffer.
func newTestServer(t testing.TB, fc *fakeCore, mods ...func(*Config)) (*Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	conf := Config{
		Core:       fc,
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:      func() time.Time { return time.Unix(1700000000, 0) },
		TLSDisable: true,
	}
	for _, m := range mods {
		m(&conf)
	}
	s, err := New(conf)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, logs
}

// do sends one request through the handler. headers are name, value pairs.
func do(t testing.TB, h http.Handler, method, target, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// decodeBody decodes a JSON response body into a generic map, with numbers
// kept as json.Number.
func decodeBody(t testing.TB, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("response body %q is not a JSON object: %v", w.Body.String(), err)
	}
	return m
}

// errorsOf returns the "errors" list of an error response.
func errorsOf(t testing.TB, w *httptest.ResponseRecorder) []string {
	t.Helper()
	var body struct {
		Errors *[]string `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Errors == nil {
		t.Fatalf("response body %q is not a Vault error body", w.Body.String())
	}
	return *body.Errors
}

// wantError checks a Vault error response: the status and, when msg is not
// empty, an error containing msg (when msg is empty, an empty list).
func wantError(t testing.TB, w *httptest.ResponseRecorder, status int, msg string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d (body %s)", w.Code, status, w.Body.String())
	}
	errs := errorsOf(t, w)
	if msg == "" {
		if len(errs) != 0 {
			t.Fatalf("errors = %q, want []", errs)
		}
		return
	}
	if len(errs) != 1 || !strings.Contains(errs[0], msg) {
		t.Fatalf("errors = %q, want one containing %q", errs, msg)
	}
}

// wantCommonHeaders checks the headers every response carries.
func wantCommonHeaders(t testing.TB, w *httptest.ResponseRecorder) {
	t.Helper()
	if got := w.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
}
