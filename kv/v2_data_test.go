package kv

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func TestFactoryPicksVersion(t *testing.T) {
	cases := []struct {
		mountType string
		options   map[string]string
		wantV2    bool
	}{
		{"kv", nil, false},
		{"kv", map[string]string{"version": "1"}, false},
		{"kv", map[string]string{"version": ""}, false},
		{"kv", map[string]string{"version": "2"}, true},
		{"kv-v2", nil, true},
		{"kv-v2", map[string]string{"version": "1"}, true},
	}
	for _, tc := range cases {
		e := newEnv(t, tc.mountType, tc.options)
		_, isV2 := e.b.(*V2)
		if isV2 != tc.wantV2 {
			t.Errorf("%s %v: got v2=%v want %v", tc.mountType, tc.options, isV2, tc.wantV2)
		}
	}
	if _, err := Factory(context.Background(), nil); err == nil {
		t.Error("nil config accepted")
	}
}

func TestV2WriteAndRead(t *testing.T) {
	e := newV2(t)
	created := e.clock.Now()

	resp := e.write("data/my-api", `{"data":{"DB_PASSWORD":"s3cret","API_KEY":"k1","DB_HOST":"db.local"}}`)
	want := map[string]any{
		"version":         uint64(1),
		"created_time":    created.Format(time.RFC3339Nano),
		"deletion_time":   "",
		"destroyed":       false,
		"custom_metadata": nil,
	}
	if !reflect.DeepEqual(resp.Data, want) {
		t.Fatalf("write response %#v, want %#v", resp.Data, want)
	}

	e.clock.Advance(time.Minute)
	resp = e.write("data/my-api", `{"data":{"DB_PASSWORD":"rotated","API_KEY":"k2","DB_HOST":"db.local"}}`)
	if resp.Data["version"] != uint64(2) {
		t.Fatalf("second write version %v", resp.Data["version"])
	}

	cases := []struct {
		name     string
		query    map[string]any
		version  uint64
		password string
	}{
		{"latest", nil, 2, "rotated"},
		{"version 0 is latest", map[string]any{"version": "0"}, 2, "rotated"},
		{"version 1 as query string", map[string]any{"version": "1"}, 1, "s3cret"},
		{"version 2", map[string]any{"version": "2"}, 2, "rotated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.must(logical.ReadOperation, "data/my-api", tc.query)
			if resp.StatusCode != 0 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			data := resp.Data["data"].(map[string]any)
			if data["DB_PASSWORD"] != tc.password {
				t.Errorf("DB_PASSWORD %v, want %v", data["DB_PASSWORD"], tc.password)
			}
			md := metadataOf(t, resp)
			if md["version"] != tc.version || md["deletion_time"] != "" || md["destroyed"] != false {
				t.Errorf("metadata %v", md)
			}
		})
	}

	for _, q := range []map[string]any{{"version": "3"}, {"version": "99"}} {
		if resp := e.must(logical.ReadOperation, "data/my-api", q); resp != nil {
			t.Errorf("read %v: got %v, want nil (404)", q, resp.Data)
		}
	}
	if resp := e.must(logical.ReadOperation, "data/nope", nil); resp != nil {
		t.Errorf("missing secret: %v", resp.Data)
	}
}

func TestV2JSONFidelity(t *testing.T) {
	e := newV2(t)
	secret := `{"big":123456789012345678901234567890,"exp":1.5e+300,"neg":-0.000000000000000000001,` +
		`"precise":0.1000000000000000055511151231257827,"int":42,"nested":{"a":{"b":[1,2.50,{"c":null}]},"empty":{}},` +
		`"list":["x",true,false,null],"s":"héllo \u2603"}`
	e.write("data/numbers", `{"data":`+secret+`}`)
	e.write("data/empty", `{"data":{}}`)

	resp := e.must(logical.ReadOperation, "data/numbers", nil)
	got := jsonText(t, resp.Data["data"])
	want := jsonText(t, body(t, secret))
	if got != want {
		t.Fatalf("round trip changed the secret\n got %s\nwant %s", got, want)
	}
	for _, frag := range []string{"123456789012345678901234567890", "1.5e+300", "-0.000000000000000000001", "0.1000000000000000055511151231257827", "2.50"} {
		if !strings.Contains(got, frag) {
			t.Errorf("number text %s lost: %s", frag, got)
		}
	}
	resp = e.must(logical.ReadOperation, "data/empty", nil)
	if d, ok := resp.Data["data"].(map[string]any); !ok || len(d) != 0 {
		t.Errorf("empty object read back as %#v", resp.Data["data"])
	}
}

func TestV2CheckAndSet(t *testing.T) {
	const mismatch = "check-and-set parameter did not match the current version"
	const required = "check-and-set parameter required for this call"
	cases := []struct {
		name    string
		setup   []string // writes to data/k before the test write, as bodies
		config  string   // body for config, if any
		meta    string   // body for metadata/k, if any
		body    string
		wantErr string
		wantVer uint64
	}{
		{name: "cas 0 on new key", body: `{"data":{"a":1},"options":{"cas":0}}`, wantVer: 1},
		{name: "cas 0 as string", body: `{"data":{"a":1},"options":{"cas":"0"}}`, wantVer: 1},
		{name: "cas 0 on existing key", setup: []string{`{"data":{"a":1}}`}, body: `{"data":{"a":2},"options":{"cas":0}}`, wantErr: mismatch},
		{name: "cas current", setup: []string{`{"data":{"a":1}}`}, body: `{"data":{"a":2},"options":{"cas":1}}`, wantVer: 2},
		{name: "cas stale", setup: []string{`{"data":{"a":1}}`, `{"data":{"a":2}}`}, body: `{"data":{"a":3},"options":{"cas":1}}`, wantErr: mismatch},
		{name: "cas ahead", setup: []string{`{"data":{"a":1}}`}, body: `{"data":{"a":3},"options":{"cas":5}}`, wantErr: mismatch},
		{name: "no cas allowed by default", setup: []string{`{"data":{"a":1}}`}, body: `{"data":{"a":2}}`, wantVer: 2},
		{name: "mount requires cas", config: `{"cas_required":true}`, body: `{"data":{"a":1}}`, wantErr: required},
		{name: "mount requires cas, given", config: `{"cas_required":true}`, body: `{"data":{"a":1},"options":{"cas":0}}`, wantVer: 1},
		{name: "options without cas under requirement", config: `{"cas_required":"true"}`, body: `{"data":{"a":1},"options":{}}`, wantErr: required},
		{name: "key requires cas", meta: `{"cas_required":true}`, body: `{"data":{"a":1}}`, wantErr: required},
		{name: "key requires cas, given", meta: `{"cas_required":true}`, body: `{"data":{"a":1},"options":{"cas":0}}`, wantVer: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newV2(t)
			if tc.config != "" {
				e.write("config", tc.config)
			}
			if tc.meta != "" {
				e.write("metadata/k", tc.meta)
			}
			for _, b := range tc.setup {
				e.write("data/k", b)
			}
			before := e.snapshot()
			resp, err := e.do(logical.UpdateOperation, "data/k", body(t, tc.body))
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || logical.StatusOf(err) != http.StatusBadRequest {
					t.Fatalf("got %v, want 400 %q", err, tc.wantErr)
				}
				e.requireUnchanged(before)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Data["version"] != tc.wantVer {
				t.Fatalf("version %v, want %d", resp.Data["version"], tc.wantVer)
			}
		})
	}
}

func TestV2SoftDeleteUndeleteDestroy(t *testing.T) {
	e := newV2(t)
	for _, v := range []string{"one", "two", "three"} {
		e.write("data/s", `{"data":{"v":"`+v+`"}}`)
	}
	deletedAt := e.clock.Now()

	// DELETE data/ soft-deletes the latest version only.
	if resp := e.must(logical.DeleteOperation, "data/s", nil); resp != nil {
		t.Fatalf("delete answered %v", resp)
	}
	resp := e.must(logical.ReadOperation, "data/s", nil)
	if resp.StatusCode != http.StatusNotFound || resp.Data["data"] != nil {
		t.Fatalf("deleted read: status %d data %v", resp.StatusCode, resp.Data["data"])
	}
	md := metadataOf(t, resp)
	if md["version"] != uint64(3) || md["deletion_time"] != deletedAt.Format(time.RFC3339Nano) || md["destroyed"] != false {
		t.Fatalf("deleted read metadata %v", md)
	}
	if got := readValue(t, e, "2"); got != "two" {
		t.Fatalf("version 2 after deleting 3: %q", got)
	}
	// Deleting again changes nothing.
	before := e.snapshot()
	e.must(logical.DeleteOperation, "data/s", nil)
	e.requireUnchanged(before)

	// delete/ takes a list; unknown versions are ignored.
	e.write("delete/s", `{"versions":[1,42]}`)
	if resp := e.must(logical.ReadOperation, "data/s", map[string]any{"version": "1"}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("version 1 not deleted: %v", resp.Data)
	}

	// undelete/ restores them, versions as strings as the Go client sends.
	e.write("undelete/s", `{"versions":["1","3"]}`)
	for v, want := range map[string]string{"1": "one", "3": "three"} {
		if got := readValue(t, e, v); got != want {
			t.Fatalf("undeleted version %s: %q", v, got)
		}
	}

	// destroy/ removes the data from storage and cannot be undone.
	e.write("destroy/s", `{"versions":"1"}`)
	if entry, _ := e.s.Get(context.Background(), versionKey("s", 1)); entry != nil {
		t.Fatal("destroyed version's data still in storage")
	}
	if entry, _ := e.s.Get(context.Background(), versionKey("s", 2)); entry == nil {
		t.Fatal("version 2's data missing")
	}
	resp = e.must(logical.ReadOperation, "data/s", map[string]any{"version": "1"})
	if resp.StatusCode != http.StatusNotFound || metadataOf(t, resp)["destroyed"] != true {
		t.Fatalf("destroyed read: %d %v", resp.StatusCode, resp.Data)
	}
	e.write("undelete/s", `{"versions":[1]}`)
	if resp := e.must(logical.ReadOperation, "data/s", map[string]any{"version": "1"}); resp.StatusCode != http.StatusNotFound {
		t.Fatal("undelete revived a destroyed version")
	}

	// Operations on a missing secret are no-ops.
	for _, p := range []string{"delete/none", "undelete/none", "destroy/none"} {
		if resp := e.write(p, `{"versions":[1]}`); resp != nil {
			t.Errorf("%s: %v", p, resp)
		}
	}
	if resp := e.must(logical.DeleteOperation, "data/none", nil); resp != nil {
		t.Errorf("delete missing: %v", resp)
	}
}

func readValue(t *testing.T, e *env, version string) string {
	t.Helper()
	resp := e.must(logical.ReadOperation, "data/s", map[string]any{"version": version})
	if resp == nil || resp.StatusCode != 0 {
		t.Fatalf("read version %s: %v", version, resp)
	}
	v, _ := resp.Data["data"].(map[string]any)["v"].(string)
	return v
}

func TestV2Patch(t *testing.T) {
	e := newV2(t)
	e.write("data/p", `{"data":{"a":1,"b":{"c":2,"d":3},"e":[1,2],"keep":"yes"}}`)

	resp := e.must(logical.PatchOperation, "data/p", body(t, `{"data":{"a":10,"b":{"c":null,"x":"y"},"e":null,"f":"g"}}`))
	if resp.Data["version"] != uint64(2) {
		t.Fatalf("patch response %v", resp.Data)
	}
	got := jsonText(t, e.must(logical.ReadOperation, "data/p", nil).Data["data"])
	want := `{"a":10,"b":{"d":3,"x":"y"},"f":"g","keep":"yes"}`
	if got != want {
		t.Fatalf("patched data %s, want %s", got, want)
	}

	// CAS applies to PATCH too.
	if _, err := e.do(logical.PatchOperation, "data/p", body(t, `{"data":{"a":1},"options":{"cas":1}}`)); err == nil ||
		err.Error() != "check-and-set parameter did not match the current version" {
		t.Fatalf("patch cas mismatch: %v", err)
	}
	if resp := e.must(logical.PatchOperation, "data/p", body(t, `{"data":{"z":1},"options":{"cas":2}}`)); resp.Data["version"] != uint64(3) {
		t.Fatalf("patch with cas: %v", resp.Data)
	}

	// No secret: 404 with no body.
	resp = e.must(logical.PatchOperation, "data/none", body(t, `{"data":{"a":1}}`))
	if resp.StatusCode != http.StatusNotFound || resp.Data != nil {
		t.Fatalf("patch missing: %v", resp)
	}

	// Latest version deleted: 404 carrying its metadata, nothing written.
	e.must(logical.DeleteOperation, "data/p", nil)
	before := e.snapshot()
	resp = e.must(logical.PatchOperation, "data/p", body(t, `{"data":{"a":1}}`))
	if resp.StatusCode != http.StatusNotFound || resp.Data["version"] != uint64(3) || resp.Data["deletion_time"] == "" {
		t.Fatalf("patch deleted: %d %v", resp.StatusCode, resp.Data)
	}
	e.requireUnchanged(before)

	// Metadata without any version: 404.
	e.write("metadata/only-meta", `{"max_versions":3}`)
	if resp := e.must(logical.PatchOperation, "data/only-meta", body(t, `{"data":{"a":1}}`)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("patch metadata-only: %v", resp)
	}
}

func TestV2Subkeys(t *testing.T) {
	e := newV2(t)
	e.write("data/sk", `{"data":{"a":1,"b":{"c":{"d":"secret"},"e":"x"},"f":{},"g":["secret"]}}`)
	e.write("data/sk", `{"data":{"only":"v2"}}`)
	cases := []struct {
		query map[string]any
		want  string
	}{
		{map[string]any{"version": "1"}, `{"a":null,"b":{"c":{"d":null},"e":null},"f":null,"g":null}`},
		{map[string]any{"version": "1", "depth": "0"}, `{"a":null,"b":{"c":{"d":null},"e":null},"f":null,"g":null}`},
		{map[string]any{"version": "1", "depth": "1"}, `{"a":null,"b":null,"f":null,"g":null}`},
		{map[string]any{"version": "1", "depth": "2"}, `{"a":null,"b":{"c":null,"e":null},"f":null,"g":null}`},
		{nil, `{"only":null}`},
	}
	for _, tc := range cases {
		resp := e.must(logical.ReadOperation, "subkeys/sk", tc.query)
		if got := jsonText(t, resp.Data["subkeys"]); got != tc.want {
			t.Errorf("subkeys %v: %s, want %s", tc.query, got, tc.want)
		}
		if strings.Contains(jsonText(t, resp.Data), "secret") {
			t.Errorf("subkeys leaked a value: %v", resp.Data)
		}
	}
	if md := metadataOf(t, e.must(logical.ReadOperation, "subkeys/sk", nil)); md["version"] != uint64(2) {
		t.Errorf("subkeys metadata %v", md)
	}
	e.must(logical.DeleteOperation, "data/sk", nil)
	resp := e.must(logical.ReadOperation, "subkeys/sk", nil)
	if resp.StatusCode != http.StatusNotFound || resp.Data["subkeys"] != nil {
		t.Errorf("subkeys of deleted version: %d %v", resp.StatusCode, resp.Data)
	}
	if resp := e.must(logical.ReadOperation, "subkeys/none", nil); resp != nil {
		t.Errorf("subkeys of missing secret: %v", resp)
	}
}
