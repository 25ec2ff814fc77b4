package kv

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/test/testclock"
)

// clock is a settable clock for delete_version_after tests.
type clock = testclock.Clock

func newClock() *clock {
	return testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC))
}

// env is one engine over in-memory storage.
type env struct {
	t     testing.TB
	b     logical.Backend
	s     *logical.InmemStorage
	clock *clock
}

func newEnv(t testing.TB, mountType string, options map[string]string) *env {
	t.Helper()
	s := logical.NewInmemStorage()
	return openEnv(t, s, mountType, options)
}

func openEnv(t testing.TB, s *logical.InmemStorage, mountType string, options map[string]string) *env {
	t.Helper()
	c := newClock()
	b, err := Factory(context.Background(), &logical.BackendConfig{
		Storage:   s,
		System:    logical.StaticSystemView{Clock: c.Now},
		Options:   options,
		MountType: mountType,
	})
	if err != nil {
		t.Fatalf("Factory: %v", err)
	}
	return &env{t: t, b: b, s: s, clock: c}
}

func newV2(t testing.TB) *env { return newEnv(t, MountTypeKVv2, nil) }

// body decodes JSON text the way the server does (numbers as json.Number).
func body(t testing.TB, text string) map[string]any {
	t.Helper()
	if text == "" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("bad test JSON %q: %v", text, err)
	}
	return out
}

// do sends a request straight to the engine, choosing create or update for
// a write by the engine's existence check as core does.
func (e *env) do(op logical.Operation, path string, data map[string]any) (*logical.Response, error) {
	req := &logical.Request{Operation: op, Path: path, Data: data, Storage: e.s}
	if op == logical.UpdateOperation {
		ok, exists, err := e.b.ExistenceCheck(context.Background(), req)
		if err != nil {
			return nil, err
		}
		if ok && !exists {
			req.Operation = logical.CreateOperation
		}
	}
	if op == logical.PatchOperation {
		req.ContentType = "application/merge-patch+json"
	}
	return e.b.HandleRequest(context.Background(), req)
}

// must is do that fails the test on error.
func (e *env) must(op logical.Operation, path string, data map[string]any) *logical.Response {
	e.t.Helper()
	resp, err := e.do(op, path, data)
	if err != nil {
		e.t.Fatalf("%s %s: %v", op, path, err)
	}
	return resp
}

func (e *env) write(path, jsonBody string) *logical.Response {
	e.t.Helper()
	return e.must(logical.UpdateOperation, path, body(e.t, jsonBody))
}

// snapshot copies every entry of the storage.
func (e *env) snapshot() map[string]string {
	e.t.Helper()
	keys, err := listAll(context.Background(), e.s, "")
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		entry, err := e.s.Get(context.Background(), k)
		if err != nil {
			e.t.Fatal(err)
		}
		out[k] = string(entry.Value)
	}
	return out
}

func (e *env) requireUnchanged(before map[string]string) {
	e.t.Helper()
	if after := e.snapshot(); !maps.Equal(before, after) {
		e.t.Fatalf("storage changed:\nbefore %v\nafter  %v", before, after)
	}
}

// status is the HTTP status a response or error maps to, as the server
// would send it.
func status(resp *logical.Response, err error, op logical.Operation) int {
	if err != nil {
		return logical.StatusOf(err)
	}
	if resp != nil && resp.StatusCode != 0 {
		return resp.StatusCode
	}
	if resp == nil {
		if op == logical.ReadOperation || op == logical.ListOperation {
			return http.StatusNotFound
		}
		return http.StatusNoContent
	}
	return http.StatusOK
}

// jsonText marshals v for comparisons.
func jsonText(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// metadataOf returns resp.Data["metadata"] as a map.
func metadataOf(t testing.TB, resp *logical.Response) map[string]any {
	t.Helper()
	if resp == nil {
		t.Fatal("nil response")
	}
	m, ok := resp.Data["metadata"].(map[string]any)
	if !ok {
		t.Fatalf("no metadata in %v", resp.Data)
	}
	return m
}
