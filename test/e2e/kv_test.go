package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/node"
	"github.com/vaultd/vaultd/vaulttest"
)

// TestKVv2ClientHelpers drives every KVv2 helper of the Vault Go client
// against a real listener and checks each answer, then reads the same state
// through raw HTTP calls the helpers do not cover (LIST, subkeys).
func TestKVv2ClientHelpers(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	kv := s.Client.KVv2("secret")
	kvCheckPutGetPatch(t, kv)     // versions 1-4 of app/db
	kvCheckMetadataHelpers(t, kv) // on app/db
	kvCheckDeleteHelpers(t, kv)   // app/db: versions 1-5, 1 destroyed
	kvCheckListAndSubkeys(t, s)

	// DeleteMetadata removes every version and the key itself.
	ctx := context.Background()
	must(t, kv.DeleteMetadata(ctx, "app/db"), "DeleteMetadata")
	if _, err := kv.Get(ctx, "app/db"); !errors.Is(err, api.ErrSecretNotFound) {
		t.Fatalf("Get after DeleteMetadata: %v", err)
	}
	if _, err := kv.GetMetadata(ctx, "app/db"); err == nil {
		t.Fatal("GetMetadata after DeleteMetadata succeeded")
	}
	for v := 2; v <= 5; v++ {
		if status, _ := raw(t, s.Client, http.MethodGet, "secret/data/app/db?version="+strconv.Itoa(v), nil); status != http.StatusNotFound {
			t.Fatalf("version %d readable after DeleteMetadata: %d", v, status)
		}
	}
}

// kvCheckPutGetPatch: Put (with and without cas), Get, GetVersion, and
// Patch by merge patch and by read-then-write.
func kvCheckPutGetPatch(t *testing.T, kv *api.KVv2) {
	t.Helper()
	ctx := context.Background()
	v1, err := kv.Put(ctx, "app/db", map[string]any{"user": "u1", "pass": "p1"})
	must(t, err, "Put v1")
	if v1.VersionMetadata == nil || v1.VersionMetadata.Version != 1 || v1.VersionMetadata.CreatedTime.IsZero() {
		t.Fatalf("Put v1 metadata: %+v", v1.VersionMetadata)
	}
	_, err = kv.Put(ctx, "app/db", map[string]any{"user": "u2", "pass": "p2"}, api.WithCheckAndSet(1))
	must(t, err, "Put v2 with cas 1")
	_, err = kv.Put(ctx, "app/db", map[string]any{"user": "late"}, api.WithCheckAndSet(1))
	wantStatus(t, err, http.StatusBadRequest, "Put with stale cas")
	if !strings.Contains(err.Error(), "check-and-set parameter did not match the current version") {
		t.Fatalf("stale cas error lacks Vault's wording: %v", err)
	}
	got, err := kv.Get(ctx, "app/db")
	must(t, err, "Get")
	kvWantData(t, got, map[string]any{"user": "u2", "pass": "p2"}, 2)
	got, err = kv.GetVersion(ctx, "app/db", 1)
	must(t, err, "GetVersion 1")
	kvWantData(t, got, map[string]any{"user": "u1", "pass": "p1"}, 1)
	if _, err = kv.Get(ctx, "app/none"); !errors.Is(err, api.ErrSecretNotFound) {
		t.Fatalf("Get of a missing secret: %v", err)
	}

	// Patch: HTTP PATCH with a merge patch, then read-then-write.
	got, err = kv.Patch(ctx, "app/db", map[string]any{"pass": "p3", "user": nil}, api.WithMergeMethod(api.KVMergeMethodPatch))
	must(t, err, "Patch (merge-patch)")
	if got.VersionMetadata.Version != 3 {
		t.Fatalf("merge patch made version %d, want 3", got.VersionMetadata.Version)
	}
	got, err = kv.Get(ctx, "app/db")
	must(t, err, "Get after merge patch")
	kvWantData(t, got, map[string]any{"pass": "p3"}, 3) // null removes the key (RFC 7386)
	got, err = kv.Patch(ctx, "app/db", map[string]any{"host": "db.internal"}, api.WithMergeMethod(api.KVMergeMethodReadWrite))
	must(t, err, "Patch (read-then-write)")
	if got.VersionMetadata.Version != 4 {
		t.Fatalf("rw patch made version %d, want 4", got.VersionMetadata.Version)
	}
	got, err = kv.Get(ctx, "app/db")
	must(t, err, "Get after rw patch")
	kvWantData(t, got, map[string]any{"pass": "p3", "host": "db.internal"}, 4)
	if _, err = kv.Patch(ctx, "app/none", map[string]any{"a": "b"}); !errors.Is(err, api.ErrSecretNotFound) {
		t.Fatalf("merge patch of a missing secret: %v", err)
	}
}

// kvCheckMetadataHelpers: PutMetadata, PatchMetadata, GetMetadata and
// GetVersionsAsList, and custom_metadata in a data read.
func kvCheckMetadataHelpers(t *testing.T, kv *api.KVv2) {
	t.Helper()
	ctx := context.Background()
	must(t, kv.PutMetadata(ctx, "app/db", api.KVMetadataPutInput{
		MaxVersions: 20, DeleteVersionAfter: 72 * time.Hour, CustomMetadata: map[string]any{"owner": "team-a"},
	}), "PutMetadata")
	maxV, cas := 30, false
	must(t, kv.PatchMetadata(ctx, "app/db", api.KVMetadataPatchInput{
		MaxVersions: &maxV, CASRequired: &cas, CustomMetadata: map[string]any{"tier": "gold"},
	}), "PatchMetadata")
	md, err := kv.GetMetadata(ctx, "app/db")
	must(t, err, "GetMetadata")
	if md.MaxVersions != 30 || md.DeleteVersionAfter != 72*time.Hour || md.CASRequired ||
		md.CurrentVersion != 4 || md.OldestVersion != 0 || len(md.Versions) != 4 ||
		md.CreatedTime.IsZero() || md.UpdatedTime.Before(md.CreatedTime) {
		t.Fatalf("GetMetadata: %+v", md)
	}
	if !reflect.DeepEqual(md.CustomMetadata, map[string]any{"owner": "team-a", "tier": "gold"}) {
		t.Fatalf("custom_metadata after put+patch: %v", md.CustomMetadata)
	}
	got, err := kv.Get(ctx, "app/db")
	must(t, err, "Get for custom metadata")
	if got.CustomMetadata["owner"] != "team-a" {
		t.Fatalf("data read lacks custom_metadata: %v", got.CustomMetadata)
	}
	list, err := kv.GetVersionsAsList(ctx, "app/db")
	must(t, err, "GetVersionsAsList")
	if len(list) != 4 {
		t.Fatalf("GetVersionsAsList: %+v", list)
	}
	for i, v := range list {
		if v.Version != i+1 || v.CreatedTime.IsZero() || !v.DeletionTime.IsZero() || v.Destroyed {
			t.Fatalf("version list entry %d: %+v", i, v)
		}
	}
}

// kvCheckDeleteHelpers: Delete, DeleteVersions, Undelete, Destroy and
// Rollback.
func kvCheckDeleteHelpers(t *testing.T, kv *api.KVv2) {
	t.Helper()
	ctx := context.Background()
	must(t, kv.Delete(ctx, "app/db"), "Delete")
	got, err := kv.Get(ctx, "app/db")
	must(t, err, "Get after Delete")
	if got.Data != nil || got.VersionMetadata.Version != 4 || got.VersionMetadata.DeletionTime.IsZero() {
		t.Fatalf("soft-deleted latest: %+v %+v", got.Data, got.VersionMetadata)
	}
	must(t, kv.DeleteVersions(ctx, "app/db", []int{1, 2}), "DeleteVersions")
	must(t, kv.Undelete(ctx, "app/db", []int{2, 4}), "Undelete")
	list, err := kv.GetVersionsAsList(ctx, "app/db")
	must(t, err, "GetVersionsAsList after deletes")
	// Undeleting a version restarts its delete_version_after clock, as
	// Vault does: its deletion_time moves into the future.
	now := time.Now()
	if d := list[0].DeletionTime; d.IsZero() || d.After(now) {
		t.Fatalf("version 1 after DeleteVersions: %+v", list[0])
	}
	for _, i := range []int{1, 3} {
		if d := list[i].DeletionTime; d.Before(now.Add(71*time.Hour)) || d.After(now.Add(73*time.Hour)) {
			t.Fatalf("version %d after Undelete: deletion_time %v, want about now+72h", i+1, d)
		}
	}
	got, err = kv.GetVersion(ctx, "app/db", 2)
	must(t, err, "GetVersion 2 after Undelete")
	kvWantData(t, got, map[string]any{"user": "u2", "pass": "p2"}, 2)
	must(t, kv.Destroy(ctx, "app/db", []int{1}), "Destroy")
	got, err = kv.GetVersion(ctx, "app/db", 1)
	must(t, err, "GetVersion of a destroyed version")
	if got.Data != nil || !got.VersionMetadata.Destroyed {
		t.Fatalf("destroyed version 1: %+v %+v", got.Data, got.VersionMetadata)
	}

	// Rollback writes version 3's data as version 5. (The client refuses
	// to roll back to a version with any deletion_time, and undeleting 2
	// gave it a future one under delete_version_after.)
	got, err = kv.Rollback(ctx, "app/db", 3)
	must(t, err, "Rollback")
	if got.VersionMetadata.Version != 5 {
		t.Fatalf("Rollback made version %d, want 5", got.VersionMetadata.Version)
	}
	got, err = kv.Get(ctx, "app/db")
	must(t, err, "Get after Rollback")
	kvWantData(t, got, map[string]any{"pass": "p3"}, 5)
	if _, err = kv.Rollback(ctx, "app/db", 1); err == nil {
		t.Fatal("Rollback to a destroyed version succeeded")
	}
}

// kvCheckListAndSubkeys writes a small tree and checks LIST (as the CLI
// sends it: GET ?list=true with no trailing slash, and the LIST verb) and
// subkeys with and without depth and version.
func kvCheckListAndSubkeys(t *testing.T, s *vaulttest.Server) {
	t.Helper()
	ctx := context.Background()
	kv := s.Client.KVv2("secret")
	_, err := kv.Put(ctx, "app/web", map[string]any{"tls": map[string]any{"cert": "c", "key": map[string]any{"pem": "k"}}, "port": 443})
	must(t, err, "Put app/web")
	_, err = kv.Put(ctx, "app/web", map[string]any{"tls": map[string]any{"cert": "c2"}, "list": []any{1, 2}})
	must(t, err, "Put app/web v2")
	_, err = kv.Put(ctx, "top", map[string]any{"a": "b"})
	must(t, err, "Put top")

	for _, path := range []string{"secret/metadata?list=true", "secret/metadata/?list=true"} {
		status, body := raw(t, s.Client, http.MethodGet, path, nil)
		if status != http.StatusOK || !reflect.DeepEqual(kvKeys(body), []string{"app/", "top"}) {
			t.Fatalf("GET %s: %d %v", path, status, body)
		}
	}
	status, body := raw(t, s.Client, "LIST", "secret/metadata/app", nil)
	if status != http.StatusOK || !reflect.DeepEqual(kvKeys(body), []string{"db", "web"}) {
		t.Fatalf("LIST secret/metadata/app: %d %v", status, body)
	}
	sec, err := s.Client.Logical().List("secret/metadata/app")
	must(t, err, "Logical().List")
	if sec == nil || len(sec.Data["keys"].([]any)) != 2 {
		t.Fatalf("Logical().List: %+v", sec)
	}
	if status, body = raw(t, s.Client, http.MethodGet, "secret/metadata/nothing?list=true", nil); status != http.StatusNotFound {
		t.Fatalf("LIST of an empty prefix: %d %v, want 404", status, body)
	}

	cases := []struct {
		query map[string][]string
		want  string
	}{
		{nil, `{"list":null,"tls":{"cert":null}}`},
		{map[string][]string{"version": {"1"}}, `{"port":null,"tls":{"cert":null,"key":{"pem":null}}}`},
		{map[string][]string{"version": {"1"}, "depth": {"1"}}, `{"port":null,"tls":null}`},
		{map[string][]string{"version": {"1"}, "depth": {"2"}}, `{"port":null,"tls":{"cert":null,"key":null}}`},
		{map[string][]string{"depth": {"0"}}, `{"list":null,"tls":{"cert":null}}`},
	}
	for _, tc := range cases {
		sec, err := s.Client.Logical().ReadWithData("secret/subkeys/app/web", tc.query)
		must(t, err, fmt.Sprint("subkeys ", tc.query))
		if sec == nil {
			t.Fatalf("subkeys %v: no answer", tc.query)
		}
		if got := kvJSON(t, sec.Data["subkeys"]); got != tc.want {
			t.Errorf("subkeys %v = %s, want %s", tc.query, got, tc.want)
		}
		md, _ := sec.Data["metadata"].(map[string]any)
		if md["version"] == nil {
			t.Errorf("subkeys %v lacks metadata.version: %v", tc.query, sec.Data)
		}
	}
	if status, _ = raw(t, s.Client, http.MethodGet, "secret/subkeys/app/missing", nil); status != http.StatusNotFound {
		t.Fatalf("subkeys of a missing secret: %d", status)
	}
}

// TestKVv1ClientHelpers drives KVv1's Put, Get and Delete against a kv
// version 1 mount, plus LIST at the mount.
func TestKVv1ClientHelpers(t *testing.T) {
	ctx := context.Background()
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true})
	must(t, s.Client.Sys().Mount("kv", &api.MountInput{Type: "kv", Options: map[string]string{"version": "1"}}), "mount kv v1")
	kv := s.Client.KVv1("kv")

	must(t, kv.Put(ctx, "team/app", map[string]any{"user": "u", "n": json.Number("10.50"), "nested": map[string]any{"a": []any{1, "x"}}}), "Put")
	must(t, kv.Put(ctx, "team/other", map[string]any{"k": "v"}), "Put other")
	got, err := kv.Get(ctx, "team/app")
	must(t, err, "Get")
	if got.VersionMetadata != nil || got.Data["user"] != "u" || got.Data["n"] != json.Number("10.50") ||
		kvJSON(t, got.Data["nested"]) != `{"a":[1,"x"]}` {
		t.Fatalf("KVv1 Get: %+v %+v", got.Data, got.VersionMetadata)
	}
	// A v1 write replaces the whole object.
	must(t, kv.Put(ctx, "team/app", map[string]any{"only": "this"}), "Put again")
	got, err = kv.Get(ctx, "team/app")
	must(t, err, "Get after overwrite")
	if !reflect.DeepEqual(got.Data, map[string]any{"only": "this"}) {
		t.Fatalf("KVv1 overwrite: %v", got.Data)
	}
	status, body := raw(t, s.Client, http.MethodGet, "kv/team?list=true", nil)
	if status != http.StatusOK || !reflect.DeepEqual(kvKeys(body), []string{"app", "other"}) {
		t.Fatalf("LIST kv/team: %d %v", status, body)
	}
	must(t, kv.Delete(ctx, "team/app"), "Delete")
	if _, err = kv.Get(ctx, "team/app"); !errors.Is(err, api.ErrSecretNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	status, body = raw(t, s.Client, http.MethodGet, "kv/team?list=true", nil)
	if status != http.StatusOK || !reflect.DeepEqual(kvKeys(body), []string{"other"}) {
		t.Fatalf("LIST kv/team after delete: %d %v", status, body)
	}

	// The ui mounts endpoint tells the CLI this is version 1.
	sec, err := s.Client.Logical().Read("sys/internal/ui/mounts/kv/team/app")
	must(t, err, "ui mounts kv")
	if opts, _ := sec.Data["options"].(map[string]any); sec.Data["path"] != "kv/" || sec.Data["type"] != "kv" || opts["version"] == "2" {
		t.Fatalf("ui mounts for kv/: %v", sec.Data)
	}
}

// TestKVUIMountsReportsVersion2 checks what the vault CLI's kv commands read
// first: sys/internal/ui/mounts/<path> must name the mount and give
// options.version "2", or the CLI treats the mount as KV version 1. It
// checks secret/ as dev mode mounts it, secret/ mounted through the API
// with options.version, and a mount of type kv-v2.
func TestKVUIMountsReportsVersion2(t *testing.T) {
	ctx := context.Background()
	dev, err := node.New(ctx, config.Dev("127.0.0.1:0"), node.Options{})
	must(t, err, "dev node")
	dev.Start()
	t.Cleanup(func() { _ = dev.Shutdown(context.Background()) })
	res, err := dev.DevInit(ctx, "")
	must(t, err, "dev init")
	devClient, err := api.NewClient(&api.Config{Address: dev.Addr(), MaxRetries: 0})
	must(t, err, "dev client")
	devClient.SetToken(res.RootToken)
	kvUIMountIsV2(t, devClient, "secret/", "secret", "secret/my-api", "secret/data/my-api")

	s := vaulttest.Start(t, vaulttest.Options{})
	kvUIMountIsV2(t, s.Client, "secret/", "secret", "secret/my-api", "secret/metadata/a/b")
	must(t, s.Client.Sys().Mount("typed", &api.MountInput{Type: "kv-v2"}), "mount kv-v2")
	kvUIMountIsV2(t, s.Client, "typed/", "typed", "typed/x")
	for _, c := range []*api.Client{devClient, s.Client} {
		mounts, err := c.Sys().ListMounts()
		must(t, err, "list mounts")
		if m := mounts["secret/"]; m == nil || m.Type != "kv" || m.Options["version"] != "2" {
			t.Fatalf("secret/ in sys/mounts: %+v", m)
		}
	}
	// The CLI's flow works on it: a KVv2 write and read through the mount
	// the preflight found.
	_, err = devClient.KVv2("secret").Put(ctx, "my-api", map[string]any{"DB_HOST": "prod-db.example.com"})
	must(t, err, "put on the dev server")
}

func kvUIMountIsV2(t *testing.T, c *api.Client, mount string, paths ...string) {
	t.Helper()
	for _, path := range paths {
		sec, err := c.Logical().Read("sys/internal/ui/mounts/" + path)
		must(t, err, "ui mounts "+path)
		if sec == nil {
			t.Fatalf("ui mounts %s: no answer", path)
		}
		opts, _ := sec.Data["options"].(map[string]any)
		if sec.Data["path"] != mount || sec.Data["type"] != "kv" || opts["version"] != "2" {
			t.Fatalf("ui mounts %s: path %v type %v options %v, want %s kv version 2", path, sec.Data["path"], sec.Data["type"], sec.Data["options"], mount)
		}
	}
}

// kvWantData checks a KV v2 read's data and version.
func kvWantData(t *testing.T, got *api.KVSecret, want map[string]any, version int) {
	t.Helper()
	if got == nil || got.VersionMetadata == nil {
		t.Fatalf("read: %+v", got)
	}
	if !reflect.DeepEqual(got.Data, want) || got.VersionMetadata.Version != version {
		t.Fatalf("read version %d data %v, want version %d data %v", got.VersionMetadata.Version, got.Data, version, want)
	}
}

// kvKeys returns data.keys of a LIST answer, sorted.
func kvKeys(body map[string]any) []string {
	data, _ := body["data"].(map[string]any)
	list, _ := data["keys"].([]any)
	out := make([]string, 0, len(list))
	for _, k := range list {
		s, _ := k.(string)
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// kvJSON renders v as compact JSON with sorted keys.
func kvJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %v: %v", v, err)
	}
	return string(b)
}
