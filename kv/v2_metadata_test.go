package kv

import (
	"context"
	"net/http"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func TestV2MetadataReadWrite(t *testing.T) {
	e := newV2(t)
	t0 := e.clock.Now()
	e.write("data/m", `{"data":{"a":1}}`)
	e.clock.Advance(time.Second)
	t1 := e.clock.Now()
	e.write("data/m", `{"data":{"a":2}}`)

	resp := e.must(logical.ReadOperation, "metadata/m", nil)
	want := map[string]any{
		"versions": map[string]any{
			"1": map[string]any{"created_time": t0.Format(time.RFC3339Nano), "deletion_time": "", "destroyed": false},
			"2": map[string]any{"created_time": t1.Format(time.RFC3339Nano), "deletion_time": "", "destroyed": false},
		},
		"current_version":      uint64(2),
		"oldest_version":       uint64(0),
		"created_time":         t0.Format(time.RFC3339Nano),
		"updated_time":         t1.Format(time.RFC3339Nano),
		"max_versions":         uint32(0),
		"cas_required":         false,
		"delete_version_after": "0s",
		"custom_metadata":      nil,
	}
	if !reflect.DeepEqual(resp.Data, want) {
		t.Fatalf("metadata\n got %#v\nwant %#v", resp.Data, want)
	}

	// A full write, as the Go client's PutMetadata sends it.
	e.write("metadata/m", `{"max_versions":5,"cas_required":"true","delete_version_after":"1h0m0s","custom_metadata":{"owner":"ops","n":7}}`)
	resp = e.must(logical.ReadOperation, "metadata/m", nil)
	for k, v := range map[string]any{
		"max_versions": uint32(5), "cas_required": true, "delete_version_after": "1h0m0s",
		"custom_metadata": map[string]any{"owner": "ops", "n": "7"}, "current_version": uint64(2),
	} {
		if !reflect.DeepEqual(resp.Data[k], v) {
			t.Errorf("%s = %#v, want %#v", k, resp.Data[k], v)
		}
	}
	// custom_metadata shows on data reads and writes too.
	if md := metadataOf(t, e.must(logical.ReadOperation, "data/m", nil)); !reflect.DeepEqual(md["custom_metadata"], map[string]any{"owner": "ops", "n": "7"}) {
		t.Errorf("data read custom_metadata %v", md["custom_metadata"])
	}

	// Null custom_metadata on a write clears it; other fields untouched.
	e.write("metadata/m", `{"custom_metadata":null}`)
	resp = e.must(logical.ReadOperation, "metadata/m", nil)
	if resp.Data["custom_metadata"] != nil || resp.Data["max_versions"] != uint32(5) {
		t.Errorf("after clearing custom_metadata: %v", resp.Data)
	}

	// A write to a new path creates metadata with no versions.
	e.write("metadata/fresh", `{"max_versions":2}`)
	resp = e.must(logical.ReadOperation, "metadata/fresh", nil)
	if resp.Data["current_version"] != uint64(0) || len(resp.Data["versions"].(map[string]any)) != 0 || resp.Data["created_time"] == "" {
		t.Errorf("fresh metadata %v", resp.Data)
	}
	if resp := e.must(logical.ReadOperation, "data/fresh", nil); resp != nil {
		t.Errorf("data of metadata-only secret: %v", resp.Data)
	}
	// An empty write changes nothing and creates nothing.
	before := e.snapshot()
	e.write("metadata/empty", `{}`)
	e.requireUnchanged(before)
	if resp := e.must(logical.ReadOperation, "metadata/none", nil); resp != nil {
		t.Errorf("missing metadata: %v", resp.Data)
	}
}

func TestV2MetadataPatch(t *testing.T) {
	e := newV2(t)
	e.write("metadata/p", `{"max_versions":4,"cas_required":true,"delete_version_after":"10m","custom_metadata":{"a":"1","b":"2"}}`)

	cases := []struct {
		patch string
		check map[string]any
	}{
		{`{"max_versions":6}`, map[string]any{"max_versions": uint32(6), "cas_required": true, "delete_version_after": "10m0s"}},
		{`{"custom_metadata":{"b":null,"c":"3"}}`, map[string]any{"custom_metadata": map[string]any{"a": "1", "c": "3"}, "max_versions": uint32(6)}},
		{`{"cas_required":false,"delete_version_after":"0s"}`, map[string]any{"cas_required": false, "delete_version_after": "0s"}},
		{`{"max_versions":null}`, map[string]any{"max_versions": uint32(0)}},
		{`{"custom_metadata":null}`, map[string]any{"custom_metadata": nil}},
	}
	for _, tc := range cases {
		e.must(logical.PatchOperation, "metadata/p", body(t, tc.patch))
		resp := e.must(logical.ReadOperation, "metadata/p", nil)
		for k, v := range tc.check {
			if !reflect.DeepEqual(resp.Data[k], v) {
				t.Errorf("after %s: %s = %#v, want %#v", tc.patch, k, resp.Data[k], v)
			}
		}
	}

	before := e.snapshot()
	resp := e.must(logical.PatchOperation, "metadata/none", body(t, `{"max_versions":1}`))
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("patch missing metadata: %v", resp)
	}
	e.requireUnchanged(before)

	// The mount's cas_required wins over a key's false, with Vault's warning.
	e.write("config", `{"cas_required":true}`)
	resp = e.must(logical.PatchOperation, "metadata/p", body(t, `{"cas_required":false}`))
	if resp == nil || len(resp.Warnings) != 1 || resp.Warnings[0] != casIgnoredWarning {
		t.Fatalf("expected the cas_required warning, got %v", resp)
	}
	resp = e.write("metadata/p", `{"cas_required":false}`)
	if resp == nil || len(resp.Warnings) != 1 {
		t.Fatalf("expected the cas_required warning on write, got %v", resp)
	}
}

func TestV2MetadataDelete(t *testing.T) {
	e := newV2(t)
	e.write("config", `{"max_versions":20}`)
	baseline := e.snapshot()
	for range 3 {
		e.write("data/gone", `{"data":{"x":"y"}}`)
	}
	e.write("destroy/gone", `{"versions":[2]}`)
	e.write("data/stays", `{"data":{"x":"y"}}`)
	if resp := e.must(logical.DeleteOperation, "metadata/gone", nil); resp != nil {
		t.Fatalf("delete answered %v", resp)
	}
	if resp := e.must(logical.ReadOperation, "metadata/gone", nil); resp != nil {
		t.Fatal("metadata survived")
	}
	if resp := e.must(logical.ReadOperation, "data/gone", map[string]any{"version": "1"}); resp != nil {
		t.Fatal("data survived")
	}
	// Only the other secret's two entries remain beyond the baseline.
	after := e.snapshot()
	if len(after) != len(baseline)+2 {
		t.Fatalf("storage after delete: %v", after)
	}
	if _, ok := after[metaKey("stays")]; !ok {
		t.Fatal("other secret lost")
	}
	// Deleting again is a no-op.
	if resp := e.must(logical.DeleteOperation, "metadata/gone", nil); resp != nil {
		t.Fatal(resp)
	}
}

func TestV2MetadataList(t *testing.T) {
	e := newV2(t)
	if resp := e.must(logical.ListOperation, "metadata/", nil); resp != nil {
		t.Fatalf("empty mount listed %v", resp.Data)
	}
	for _, p := range []string{"a", "b/c", "b/d/e", "b/d/f", "z"} {
		e.write("data/"+p, `{"data":{"k":"v"}}`)
	}
	e.write("metadata/m-only", `{"max_versions":1}`)
	cases := []struct {
		path string
		want []string
	}{
		{"metadata/", []string{"a", "b/", "m-only", "z"}},
		{"metadata", []string{"a", "b/", "m-only", "z"}},
		{"metadata/b/", []string{"c", "d/"}},
		{"metadata/b", []string{"c", "d/"}},
		{"metadata/b/d/", []string{"e", "f"}},
		{"metadata/nope/", nil},
		{"metadata/a/", nil},
	}
	for _, tc := range cases {
		resp := e.must(logical.ListOperation, tc.path, nil)
		if tc.want == nil {
			if resp != nil {
				t.Errorf("LIST %s: %v, want nil (404)", tc.path, resp.Data)
			}
			continue
		}
		got, _ := resp.Data["keys"].([]string)
		sort.Strings(got)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("LIST %s: %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestV2Config(t *testing.T) {
	e := newV2(t)
	read := func() map[string]any { return e.must(logical.ReadOperation, "config", nil).Data }
	if got := read(); !reflect.DeepEqual(got, map[string]any{"max_versions": uint32(0), "cas_required": false, "delete_version_after": "0s"}) {
		t.Fatalf("default config %v", got)
	}
	cases := []struct {
		body string
		want map[string]any
	}{
		{`{"max_versions":7}`, map[string]any{"max_versions": uint32(7), "cas_required": false, "delete_version_after": "0s"}},
		{`{"cas_required":"true","delete_version_after":"1h"}`, map[string]any{"max_versions": uint32(7), "cas_required": true, "delete_version_after": "1h0m0s"}},
		{`{"delete_version_after":3600}`, map[string]any{"max_versions": uint32(7), "cas_required": true, "delete_version_after": "1h0m0s"}},
		{`{"delete_version_after":"-5m"}`, map[string]any{"max_versions": uint32(7), "cas_required": true, "delete_version_after": "-1s"}},
		{`{"delete_version_after":-1}`, map[string]any{"max_versions": uint32(7), "cas_required": true, "delete_version_after": "-1s"}},
		{`{"delete_version_after":"0s","max_versions":"0","cas_required":false}`, map[string]any{"max_versions": uint32(0), "cas_required": false, "delete_version_after": "0s"}},
	}
	for _, tc := range cases {
		if resp := e.write("config", tc.body); resp != nil {
			t.Fatalf("config write answered %v", resp)
		}
		if got := read(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("after %s: %v, want %v", tc.body, got, tc.want)
		}
	}
	// The config persists: a new engine over the same storage reads it.
	e.write("config", `{"max_versions":3}`)
	e2 := openEnv(t, e.s, MountTypeKVv2, nil)
	if got := e2.must(logical.ReadOperation, "config", nil).Data["max_versions"]; got != uint32(3) {
		t.Errorf("reopened config max_versions %v", got)
	}
}

func TestV2MaxVersionsPruning(t *testing.T) {
	cases := []struct {
		name       string
		config     string
		meta       string
		writes     int
		wantOldest uint64
		wantKept   []uint64
	}{
		{"default keeps 10", "", "", 12, 3, []uint64{3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
		{"exactly the limit", `{"max_versions":3}`, "", 3, 1, []uint64{1, 2, 3}},
		{"mount limit", `{"max_versions":3}`, "", 5, 3, []uint64{3, 4, 5}},
		{"key limit", "", `{"max_versions":2}`, 5, 4, []uint64{4, 5}},
		{"larger of mount and key wins", `{"max_versions":2}`, `{"max_versions":4}`, 6, 3, []uint64{3, 4, 5, 6}},
		{"larger of mount and key wins, mount larger", `{"max_versions":4}`, `{"max_versions":2}`, 6, 3, []uint64{3, 4, 5, 6}},
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
			for range tc.writes {
				e.write("data/k", `{"data":{"x":1}}`)
			}
			checkVersions(t, e, "k", tc.wantOldest, tc.wantKept, uint64(tc.writes))
		})
	}

	// Lowering max_versions prunes on the next write, oldest first.
	e := newV2(t)
	for range 6 {
		e.write("data/k", `{"data":{"x":1}}`)
	}
	e.write("metadata/k", `{"max_versions":2}`)
	checkVersions(t, e, "k", 0, []uint64{1, 2, 3, 4, 5, 6}, 6)
	e.write("data/k", `{"data":{"x":1}}`)
	checkVersions(t, e, "k", 6, []uint64{6, 7}, 7)
}

// checkVersions asserts which versions a secret's metadata lists and that
// exactly their data is in storage.
func checkVersions(t *testing.T, e *env, path string, oldest uint64, kept []uint64, upTo uint64) {
	t.Helper()
	resp := e.must(logical.ReadOperation, "metadata/"+path, nil)
	if resp.Data["oldest_version"] != oldest {
		t.Errorf("oldest_version %v, want %d", resp.Data["oldest_version"], oldest)
	}
	versions := resp.Data["versions"].(map[string]any)
	if len(versions) != len(kept) {
		t.Errorf("versions %v, want %v", versions, kept)
	}
	keep := map[uint64]bool{}
	for _, v := range kept {
		keep[v] = true
	}
	for v := uint64(1); v <= upTo; v++ {
		entry, err := e.s.Get(context.Background(), versionKey(path, v))
		if err != nil {
			t.Fatal(err)
		}
		if (entry != nil) != keep[v] {
			t.Errorf("version %d in storage: %v, want %v", v, entry != nil, keep[v])
		}
	}
}

func TestV2DeleteVersionAfter(t *testing.T) {
	e := newV2(t)
	e.write("config", `{"delete_version_after":"1h"}`)
	t0 := e.clock.Now()
	resp := e.write("data/d", `{"data":{"v":1}}`)
	if resp.Data["deletion_time"] != t0.Add(time.Hour).Format(time.RFC3339Nano) {
		t.Fatalf("deletion_time %v", resp.Data["deletion_time"])
	}

	e.clock.Advance(59 * time.Minute)
	if resp := e.must(logical.ReadOperation, "data/d", nil); resp.StatusCode != 0 {
		t.Fatal("version deleted before its time")
	}
	e.clock.Advance(time.Minute)
	resp = e.must(logical.ReadOperation, "data/d", nil)
	if resp.StatusCode != http.StatusNotFound || resp.Data["data"] != nil {
		t.Fatalf("version not deleted at its time: %v", resp)
	}

	// Undelete restarts the clock from now.
	now := e.clock.Now()
	e.write("undelete/d", `{"versions":[1]}`)
	md := metadataOf(t, e.must(logical.ReadOperation, "data/d", nil))
	if md["deletion_time"] != now.Add(time.Hour).Format(time.RFC3339Nano) {
		t.Fatalf("undeleted deletion_time %v", md["deletion_time"])
	}

	// The smaller of mount and key wins.
	e.write("metadata/d", `{"delete_version_after":"10m"}`)
	resp = e.write("data/d", `{"data":{"v":2}}`)
	if resp.Data["deletion_time"] != e.clock.Now().Add(10*time.Minute).Format(time.RFC3339Nano) {
		t.Fatalf("key dva: %v", resp.Data["deletion_time"])
	}
	e.clock.Advance(10 * time.Minute)
	if resp := e.must(logical.ReadOperation, "data/d", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatal("key delete_version_after not applied")
	}
	// A soft-deleted version by time counts as deleted for PATCH.
	if resp := e.must(logical.PatchOperation, "data/d", body(t, `{"data":{"v":3}}`)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("patch of expired version: %v", resp)
	}

	// A negative mount setting disables it for every key.
	e.write("config", `{"delete_version_after":"-1"}`)
	resp = e.write("data/d", `{"data":{"v":4}}`)
	if resp.Data["deletion_time"] != "" {
		t.Fatalf("disabled dva still set deletion_time %v", resp.Data["deletion_time"])
	}
	e.clock.Advance(24 * time.Hour)
	if resp := e.must(logical.ReadOperation, "data/d", nil); resp.StatusCode != 0 {
		t.Fatal("disabled dva still deleted")
	}
}

func TestV2ExistenceCheck(t *testing.T) {
	e := newV2(t)
	e.write("data/exists", `{"data":{"a":1}}`)
	e.write("metadata/meta-only", `{"max_versions":1}`)
	cases := []struct {
		path       string
		ok, exists bool
	}{
		{"config", true, true},
		{"data/exists", true, true},
		{"data/meta-only", true, true},
		{"data/missing", true, false},
		{"metadata/exists", true, true},
		{"metadata/missing", true, false},
		{"delete/exists", false, false},
		{"undelete/exists", false, false},
		{"destroy/exists", false, false},
		{"subkeys/exists", false, false},
		{"data/a/../b", false, false},
		{"unknown", false, false},
	}
	for _, tc := range cases {
		ok, exists, err := e.b.ExistenceCheck(context.Background(), &logical.Request{Operation: logical.UpdateOperation, Path: tc.path, Storage: e.s})
		if err != nil || ok != tc.ok || exists != tc.exists {
			t.Errorf("%s: ok=%v exists=%v err=%v, want %v %v", tc.path, ok, exists, err, tc.ok, tc.exists)
		}
	}
}

func TestV2UnsupportedAndInvalidPaths(t *testing.T) {
	e := newV2(t)
	e.write("data/x", `{"data":{"a":1}}`)
	cases := []struct {
		op          logical.Operation
		path        string
		wantStatus  int
		wantWarning bool
	}{
		{logical.ReadOperation, "data", http.StatusNotFound, true},
		{logical.UpdateOperation, "metadata", http.StatusNotFound, true},
		{logical.ReadOperation, "x", http.StatusNotFound, true},
		{logical.UpdateOperation, "secret-at-root", http.StatusNotFound, true},
		{logical.ListOperation, "", http.StatusNotFound, true},
		{logical.ListOperation, "data/", http.StatusNotFound, true},
		{logical.ListOperation, "config", http.StatusMethodNotAllowed, false},
		{logical.DeleteOperation, "config", http.StatusMethodNotAllowed, false},
		{logical.ReadOperation, "delete/x", http.StatusMethodNotAllowed, false},
		{logical.PatchOperation, "destroy/x", http.StatusMethodNotAllowed, false},
		{logical.UpdateOperation, "subkeys/x", http.StatusMethodNotAllowed, false},
		{logical.ListOperation, "subkeys/x", http.StatusMethodNotAllowed, false},
		{logical.RenewOperation, "data/x", http.StatusMethodNotAllowed, false},
	}
	for _, tc := range cases {
		before := e.snapshot()
		resp, err := e.do(tc.op, tc.path, nil)
		if got := status(resp, err, tc.op); got != tc.wantStatus {
			t.Errorf("%s %q: status %d, want %d (%v)", tc.op, tc.path, got, tc.wantStatus, err)
		}
		if tc.wantWarning && (resp == nil || len(resp.Warnings) == 0) {
			t.Errorf("%s %q: no warning", tc.op, tc.path)
		}
		e.requireUnchanged(before)
	}
}
