package kv

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

func newV1(t *testing.T) *env { return newEnv(t, MountTypeKV, nil) }

func TestV1CRUD(t *testing.T) {
	e := newV1(t)
	secret := `{"password":"p","port":5432,"big":123456789012345678901234567890.5,"nested":{"list":[1,"two",null]}}`
	if resp := e.write("app/db", secret); resp != nil {
		t.Fatalf("write answered %v", resp)
	}
	resp := e.must(logical.ReadOperation, "app/db", nil)
	if got, want := jsonText(t, resp.Data), jsonText(t, body(t, secret)); got != want {
		t.Fatalf("read %s, want %s", got, want)
	}
	// A write replaces the whole secret.
	e.write("app/db", `{"password":"q"}`)
	resp = e.must(logical.ReadOperation, "app/db", nil)
	if !reflect.DeepEqual(resp.Data, map[string]any{"password": "q"}) {
		t.Fatalf("after overwrite %v", resp.Data)
	}
	e.write("app/cache", `{"a":"b"}`)
	e.write("top", `{"a":"b"}`)

	cases := []struct {
		path string
		want []string
	}{
		{"", []string{"app/", "top"}},
		{"app/", []string{"cache", "db"}},
		{"app", []string{"cache", "db"}},
		{"nope/", nil},
	}
	for _, tc := range cases {
		resp := e.must(logical.ListOperation, tc.path, nil)
		if tc.want == nil {
			if resp != nil {
				t.Errorf("LIST %q: %v", tc.path, resp.Data)
			}
			continue
		}
		if got := resp.Data["keys"]; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("LIST %q: %v, want %v", tc.path, got, tc.want)
		}
	}

	if resp := e.must(logical.DeleteOperation, "app/db", nil); resp != nil {
		t.Fatal(resp)
	}
	if resp := e.must(logical.ReadOperation, "app/db", nil); resp != nil {
		t.Fatalf("deleted secret read %v", resp.Data)
	}
	if resp := e.must(logical.ReadOperation, "missing", nil); resp != nil {
		t.Fatal(resp)
	}
}

func TestV1ExistenceCheck(t *testing.T) {
	e := newV1(t)
	e.write("here", `{"a":1}`)
	for path, want := range map[string]bool{"here": true, "there": false} {
		ok, exists, err := e.b.ExistenceCheck(context.Background(), &logical.Request{Operation: logical.UpdateOperation, Path: path, Storage: e.s})
		if err != nil || !ok || exists != want {
			t.Errorf("%s: ok=%v exists=%v err=%v", path, ok, exists, err)
		}
	}
}

func TestV1BadInput(t *testing.T) {
	cases := []struct {
		name    string
		op      logical.Operation
		path    string
		body    string
		status  int
		message string
	}{
		{"no fields", logical.UpdateOperation, "s", `{}`, 400, "missing data fields"},
		{"no body", logical.CreateOperation, "new", ``, 400, "missing data fields"},
		{"dotdot write", logical.UpdateOperation, "a/../s", `{"a":1}`, 400, `".."`},
		{"dot read", logical.ReadOperation, "./s", ``, 400, `"."`},
		{"empty segment", logical.UpdateOperation, "a//s", `{"a":1}`, 400, "empty path segment"},
		{"trailing slash write", logical.UpdateOperation, "a/", `{"a":1}`, 400, "empty path segment"},
		{"delete dotdot", logical.DeleteOperation, "x/../s", ``, 400, `".."`},
		{"root write", logical.UpdateOperation, "", `{"a":1}`, 400, "missing path"},
		{"list dotdot", logical.ListOperation, "../", ``, 400, `".."`},
		{"patch unsupported", logical.PatchOperation, "s", `{"a":2}`, http.StatusMethodNotAllowed, "unsupported operation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newV1(t)
			e.write("s", `{"a":"original"}`)
			before := e.snapshot()
			resp, err := e.do(tc.op, tc.path, body(t, tc.body))
			if err == nil {
				t.Fatalf("accepted: %v", resp)
			}
			if logical.StatusOf(err) != tc.status || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("got %d %q, want %d %q", logical.StatusOf(err), err, tc.status, tc.message)
			}
			e.requireUnchanged(before)
		})
	}
}

func TestUpgradeV1ToV2(t *testing.T) {
	v1 := newV1(t)
	v1.write("app/db", `{"password":"p","n":1.50}`)
	v1.write("top", `{"k":"v"}`)

	v2 := openEnv(t, v1.s, MountTypeKV, map[string]string{"version": "2"})
	for path, want := range map[string]string{"app/db": `{"n":1.50,"password":"p"}`, "top": `{"k":"v"}`} {
		resp := v2.must(logical.ReadOperation, "data/"+path, nil)
		if got := jsonText(t, resp.Data["data"]); got != want {
			t.Errorf("%s upgraded to %s, want %s", path, got, want)
		}
		if md := metadataOf(t, resp); md["version"] != uint64(1) {
			t.Errorf("%s version %v", path, md["version"])
		}
	}
	// The v1 entries are gone; only the v2 layout remains.
	for k := range v2.snapshot() {
		if !strings.HasPrefix(k, v2Root) {
			t.Errorf("v1 key %q left behind", k)
		}
	}
	// Reopening does not upgrade again.
	v2.write("data/top", `{"data":{"k":"v2"}}`)
	before := v2.snapshot()
	again := openEnv(t, v1.s, MountTypeKVv2, nil)
	again.requireUnchanged(before)
	if md := again.must(logical.ReadOperation, "metadata/top", nil); md.Data["current_version"] != uint64(2) {
		t.Errorf("after reopen: %v", md.Data)
	}
}

func TestUpgradeRefusesCollision(t *testing.T) {
	v1 := newV1(t)
	v1.write("kv2/meta/x", `{"a":"b"}`)
	before := v1.snapshot()
	_, err := Factory(context.Background(), &logical.BackendConfig{Storage: v1.s, MountType: MountTypeKVv2})
	if err == nil {
		t.Fatal("upgrade over a colliding v1 key succeeded")
	}
	v1.requireUnchanged(before)
}

func TestUpgradeEmptyMountWritesMarkerOnly(t *testing.T) {
	e := newV2(t)
	snap := e.snapshot()
	if len(snap) != 1 {
		t.Fatalf("fresh v2 mount storage: %v", snap)
	}
	if _, ok := snap[v2UpgradedKey]; !ok {
		t.Fatalf("no upgrade marker: %v", snap)
	}
}
