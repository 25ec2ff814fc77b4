package token

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/test/testclock"
)

// clock is a controllable clock for tests.
type clock = testclock.Clock

func newClock() *clock {
	return testclock.New(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
}

// countingStorage counts reads, to show what the cache saves.
type countingStorage struct {
	*logical.InmemStorage
	gets atomic.Int64
}

func (c *countingStorage) Get(ctx context.Context, key string) (*logical.StorageEntry, error) {
	c.gets.Add(1)
	return c.InmemStorage.Get(ctx, key)
}

// env is a store over in-memory storage with a root token.
type env struct {
	t     *testing.T
	store *Store
	be    logical.Backend
	st    *countingStorage
	clock *clock
	root  *Entry
}

const (
	testDefaultTTL = 24 * time.Hour
	testMaxTTL     = 72 * time.Hour
)

func newEnv(t *testing.T) *env {
	t.Helper()
	st := &countingStorage{InmemStorage: logical.NewInmemStorage()}
	c := newClock()
	s, err := NewStore(context.Background(), Config{
		Storage: st,
		System:  logical.StaticSystemView{DefaultTTL: testDefaultTTL, MaxTTL: testMaxTTL, Clock: c.Now},
	})
	if err != nil {
		t.Fatal(err)
	}
	root, err := s.CreateRoot(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, store: s, be: s.Backend(), st: st, clock: c, root: root}
}

// do sends one request to the backend.
func (e *env) do(op logical.Operation, path, token string, data map[string]any) (*logical.Response, error) {
	e.t.Helper()
	return e.be.HandleRequest(context.Background(), &logical.Request{
		Operation:   op,
		Path:        path,
		ClientToken: token,
		Data:        data,
		MountPoint:  "auth/token/",
	})
}

// mustDo sends a request that must succeed.
func (e *env) mustDo(op logical.Operation, path, token string, data map[string]any) *logical.Response {
	e.t.Helper()
	resp, err := e.do(op, path, token, data)
	if err != nil {
		e.t.Fatalf("%s %s: %v", op, path, err)
	}
	return resp
}

// create makes a token through an endpoint and returns its auth.
func (e *env) create(path, token string, data map[string]any) *logical.Auth {
	e.t.Helper()
	resp := e.mustDo(logical.UpdateOperation, path, token, data)
	if resp == nil || resp.Auth == nil || resp.Auth.ClientToken == "" {
		e.t.Fatalf("%s: no auth in %+v", path, resp)
	}
	return resp.Auth
}

// lookup returns the live entry of a token or nil.
func (e *env) lookup(id string) *Entry {
	e.t.Helper()
	ent, err := e.store.Lookup(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return ent
}

// dump returns every key and value in the storage.
func (e *env) dump() map[string]string {
	e.t.Helper()
	out := map[string]string{}
	var walk func(prefix string)
	walk = func(prefix string) {
		keys, err := e.st.List(context.Background(), prefix)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, k := range keys {
			if strings.HasSuffix(k, "/") {
				walk(prefix + k)
				continue
			}
			ent, err := e.st.InmemStorage.Get(context.Background(), prefix+k)
			if err != nil || ent == nil {
				e.t.Fatalf("get %s: %v", prefix+k, err)
			}
			out[prefix+k] = string(ent.Value)
		}
	}
	walk("")
	return out
}

func keysWithPrefix(m map[string]string, prefix string) []string {
	var out []string
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// wantStatus checks that err is a CodedError with that status whose
// message contains want.
func wantStatus(t *testing.T, err error, status int, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %d %q, got no error", status, want)
	}
	var coded *logical.CodedError
	if !errors.As(err, &coded) || coded.Status != status {
		t.Fatalf("want status %d, got %v (%T)", status, err, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("want error containing %q, got %q", want, err.Error())
	}
}

// hooks records calls and can fail them.
type hooks struct {
	mu         sync.Mutex
	created    []string
	renewed    []string
	revoked    []string
	failCreate error
	failRevoke error
	renewAuth  *logical.Auth
	renewErr   error
	checked    int
	sudo       map[string]bool // accessor → has sudo
}

func (h *hooks) TokenCreated(_ context.Context, e *Entry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.created = append(h.created, e.Accessor)
	return h.failCreate
}

func (h *hooks) TokenRenewed(_ context.Context, e *Entry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.renewed = append(h.renewed, e.Accessor)
	return nil
}

func (h *hooks) TokenRevoked(_ context.Context, e *Entry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failRevoke != nil {
		return h.failRevoke
	}
	h.revoked = append(h.revoked, e.Accessor)
	return nil
}

func (h *hooks) CheckRenew(_ context.Context, _ *Entry) (*logical.Auth, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checked++
	return h.renewAuth, h.renewErr
}

func (h *hooks) HasSudo(_ context.Context, e *Entry, _ string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sudo[e.Accessor]
}
