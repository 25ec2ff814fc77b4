package cubbyhole

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

type token struct{ id, accessor string }

var (
	alice = token{"hvs.alice-token-secret", "accessor-alice"}
	bob   = token{"hvs.bob-token-secret", "accessor-bob"}
)

type env struct {
	t *testing.T
	b logical.Backend
	s *logical.InmemStorage
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s := logical.NewInmemStorage()
	b, err := Factory(context.Background(), &logical.BackendConfig{Storage: s, MountType: MountType})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, b: b, s: s}
}

func body(t *testing.T, text string) map[string]any {
	t.Helper()
	if text == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) do(tok token, op logical.Operation, path, data string) (*logical.Response, error) {
	req := &logical.Request{
		Operation: op, Path: path, Data: body(e.t, data), Storage: e.s,
		ClientToken: tok.id, ClientTokenAccessor: tok.accessor,
	}
	return e.b.HandleRequest(context.Background(), req)
}

func (e *env) must(tok token, op logical.Operation, path, data string) *logical.Response {
	e.t.Helper()
	resp, err := e.do(tok, op, path, data)
	if err != nil {
		e.t.Fatalf("%s %s: %v", op, path, err)
	}
	return resp
}

func (e *env) snapshot() map[string]string {
	e.t.Helper()
	keys, err := listAll(context.Background(), e.s, "")
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		entry, _ := e.s.Get(context.Background(), k)
		out[k] = string(entry.Value)
	}
	return out
}

func TestCubbyholeCRUDAndIsolation(t *testing.T) {
	e := newEnv(t)
	secret := `{"pw":"alice-pw","n":12345678901234567890.25,"nested":{"x":[1,null]}}`
	if resp := e.must(alice, logical.CreateOperation, "app/db", secret); resp != nil {
		t.Fatal(resp)
	}
	e.must(alice, logical.UpdateOperation, "top", `{"a":"b"}`)
	e.must(bob, logical.UpdateOperation, "app/db", `{"pw":"bob-pw"}`)

	resp := e.must(alice, logical.ReadOperation, "app/db", "")
	got, _ := json.Marshal(resp.Data)
	want, _ := json.Marshal(body(t, secret))
	if !bytes.Equal(got, want) {
		t.Fatalf("alice reads %s, want %s", got, want)
	}
	if resp := e.must(bob, logical.ReadOperation, "app/db", ""); resp.Data["pw"] != "bob-pw" {
		t.Fatalf("bob reads %v", resp.Data)
	}
	if resp := e.must(bob, logical.ReadOperation, "top", ""); resp != nil {
		t.Fatalf("bob sees alice's secret: %v", resp.Data)
	}

	lists := []struct {
		tok  token
		path string
		want []string
	}{
		{alice, "", []string{"app/", "top"}},
		{alice, "app/", []string{"db"}},
		{alice, "app", []string{"db"}},
		{bob, "", []string{"app/"}},
	}
	for _, tc := range lists {
		resp := e.must(tc.tok, logical.ListOperation, tc.path, "")
		if !reflect.DeepEqual(resp.Data["keys"], tc.want) {
			t.Errorf("%s LIST %q: %v, want %v", tc.tok.accessor, tc.path, resp.Data["keys"], tc.want)
		}
	}
	if resp := e.must(alice, logical.ListOperation, "nothing/", ""); resp != nil {
		t.Errorf("empty list: %v", resp.Data)
	}

	// Bob deleting "top" does not touch Alice's.
	e.must(bob, logical.DeleteOperation, "top", "")
	if resp := e.must(alice, logical.ReadOperation, "top", ""); resp == nil {
		t.Fatal("bob's delete removed alice's secret")
	}
	e.must(alice, logical.DeleteOperation, "top", "")
	if resp := e.must(alice, logical.ReadOperation, "top", ""); resp != nil {
		t.Fatal("delete did not delete")
	}
}

func TestCubbyholeStorageKeysHideTokens(t *testing.T) {
	e := newEnv(t)
	e.must(alice, logical.UpdateOperation, "k", `{"v":"1"}`)
	for k, v := range e.snapshot() {
		for _, s := range []string{alice.id, alice.accessor} {
			if strings.Contains(k, s) || strings.Contains(v, s) {
				t.Fatalf("storage entry %q=%q contains %q", k, v, s)
			}
		}
		if !strings.HasPrefix(k, DestroyPrefix(alice.accessor)) {
			t.Fatalf("key %q outside the token's prefix", k)
		}
	}
	p := DestroyPrefix(alice.accessor)
	if len(p) != 65 || !strings.HasSuffix(p, "/") || p == DestroyPrefix(bob.accessor) {
		t.Fatalf("DestroyPrefix %q", p)
	}
}

func TestCubbyholeDestroy(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"a", "b/c", "b/d/e"} {
		e.must(alice, logical.UpdateOperation, p, `{"v":"1"}`)
	}
	e.must(bob, logical.UpdateOperation, "a", `{"v":"bob"}`)
	if err := Destroy(context.Background(), e.s, alice.accessor); err != nil {
		t.Fatal(err)
	}
	for k := range e.snapshot() {
		if strings.HasPrefix(k, DestroyPrefix(alice.accessor)) {
			t.Fatalf("alice's entry %q survived", k)
		}
	}
	if resp := e.must(bob, logical.ReadOperation, "a", ""); resp == nil || resp.Data["v"] != "bob" {
		t.Fatal("bob's cubbyhole damaged")
	}
	if resp := e.must(alice, logical.ListOperation, "", ""); resp != nil {
		t.Fatalf("alice still lists %v", resp.Data)
	}
	if err := Destroy(context.Background(), e.s, alice.accessor); err != nil {
		t.Fatalf("second destroy: %v", err)
	}
	if err := Destroy(context.Background(), e.s, ""); err == nil {
		t.Fatal("empty accessor accepted")
	}
}

func TestCubbyholeBadInput(t *testing.T) {
	noToken := token{}
	noAccessor := token{id: "hvs.x"}
	cases := []struct {
		name    string
		tok     token
		op      logical.Operation
		path    string
		body    string
		status  int
		message string
	}{
		{"no token write", noToken, logical.UpdateOperation, "k", `{"a":1}`, 400, "client token empty"},
		{"no token read", noToken, logical.ReadOperation, "k", ``, 400, "client token empty"},
		{"no token list", noToken, logical.ListOperation, "", ``, 400, "client token empty"},
		{"no token delete", noToken, logical.DeleteOperation, "k", ``, 400, "client token empty"},
		{"no accessor", noAccessor, logical.UpdateOperation, "k", `{"a":1}`, 400, "accessor"},
		{"no fields", alice, logical.UpdateOperation, "k", `{}`, 400, "missing data fields"},
		{"no body", alice, logical.CreateOperation, "k2", ``, 400, "missing data fields"},
		{"no path", alice, logical.UpdateOperation, "", `{"a":1}`, 400, "missing path"},
		{"dotdot", alice, logical.UpdateOperation, "../k", `{"a":1}`, 400, `".."`},
		{"dotdot read", alice, logical.ReadOperation, "x/../k", ``, 400, `".."`},
		{"empty segment", alice, logical.UpdateOperation, "a//k", `{"a":1}`, 400, "empty path segment"},
		{"list dotdot", alice, logical.ListOperation, "../", ``, 400, `".."`},
		{"patch", alice, logical.PatchOperation, "k", `{"a":1}`, http.StatusMethodNotAllowed, "unsupported operation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.must(alice, logical.UpdateOperation, "k", `{"a":"original"}`)
			before := e.snapshot()
			resp, err := e.do(tc.tok, tc.op, tc.path, tc.body)
			if err == nil {
				t.Fatalf("accepted: %v", resp)
			}
			if logical.StatusOf(err) != tc.status || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("got %d %q, want %d %q", logical.StatusOf(err), err, tc.status, tc.message)
			}
			if after := e.snapshot(); !maps.Equal(before, after) {
				t.Errorf("storage changed: %v -> %v", before, after)
			}
		})
	}
}

func TestCubbyholeExistenceCheck(t *testing.T) {
	e := newEnv(t)
	e.must(alice, logical.UpdateOperation, "k", `{"a":"1"}`)
	cases := []struct {
		tok        token
		path       string
		ok, exists bool
	}{
		{alice, "k", true, true},
		{alice, "other", true, false},
		{bob, "k", true, false},
		{token{}, "k", false, false},
		{alice, "../k", false, false},
	}
	for _, tc := range cases {
		req := &logical.Request{Operation: logical.UpdateOperation, Path: tc.path, Storage: e.s,
			ClientToken: tc.tok.id, ClientTokenAccessor: tc.tok.accessor}
		ok, exists, err := e.b.ExistenceCheck(context.Background(), req)
		if err != nil || ok != tc.ok || exists != tc.exists {
			t.Errorf("%s %q: ok=%v exists=%v err=%v", tc.tok.accessor, tc.path, ok, exists, err)
		}
	}
}
