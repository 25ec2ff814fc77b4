package e2e

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestKVWalkthrough follows the walkthrough article's secret flow over raw
// HTTP, as `vault kv put/get` send it, checking Vault's answer shapes: put
// DB_PASSWORD, API_KEY and DB_HOST at secret/my-api, read them back, rotate
// them, read version 2 and then version 1 with ?version=1, soft-delete,
// undelete, and destroy version 1.
func TestKVWalkthrough(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	first := map[string]any{
		"DB_PASSWORD": "supersecret-from-vault",
		"API_KEY":     "vault-managed-api-key-xyz",
		"DB_HOST":     "prod-db.example.com",
	}
	rotated := map[string]any{
		"DB_PASSWORD": "rotated-password-v2",
		"API_KEY":     "rotated-api-key-v2",
		"DB_HOST":     "prod-db.example.com",
	}

	// vault kv put secret/my-api ...
	status, body := raw(t, c, http.MethodPut, "secret/data/my-api", map[string]any{"data": first, "options": map[string]any{}})
	if status != http.StatusOK {
		t.Fatalf("put: %d %v", status, body)
	}
	kvWantVersionMeta(t, "put", body["data"], 1, false, false)

	// vault kv get secret/my-api
	kvWantRead(t, s, "secret/data/my-api", first, 1)

	// Rotation: a new put is version 2; the latest read and ?version=2 see
	// it, ?version=1 still sees the original.
	status, body = raw(t, c, http.MethodPost, "secret/data/my-api", map[string]any{"data": rotated})
	if status != http.StatusOK {
		t.Fatalf("rotate: %d %v", status, body)
	}
	kvWantVersionMeta(t, "rotate", body["data"], 2, false, false)
	kvWantRead(t, s, "secret/data/my-api", rotated, 2)
	kvWantRead(t, s, "secret/data/my-api?version=2", rotated, 2)
	kvWantRead(t, s, "secret/data/my-api?version=1", first, 1)

	// vault kv delete secret/my-api: the latest version is soft-deleted; a
	// read is a 404 whose body still carries data.metadata.
	if status, body = raw(t, c, http.MethodDelete, "secret/data/my-api", nil); status != http.StatusNoContent {
		t.Fatalf("soft-delete: %d %v", status, body)
	}
	kvWantGone(t, s, "secret/data/my-api", 2, true, false)
	kvWantRead(t, s, "secret/data/my-api?version=1", first, 1) // older versions are untouched

	// vault kv undelete -versions=2 secret/my-api
	if status, body = raw(t, c, http.MethodPost, "secret/undelete/my-api", map[string]any{"versions": []int{2}}); status != http.StatusNoContent {
		t.Fatalf("undelete: %d %v", status, body)
	}
	kvWantRead(t, s, "secret/data/my-api", rotated, 2)

	// vault kv destroy -versions=1 secret/my-api: its data is gone for good,
	// and reading it is a 404 with metadata saying destroyed.
	if status, body = raw(t, c, http.MethodPut, "secret/destroy/my-api", map[string]any{"versions": []int{1}}); status != http.StatusNoContent {
		t.Fatalf("destroy: %d %v", status, body)
	}
	kvWantGone(t, s, "secret/data/my-api?version=1", 1, false, true)
	if status, body = raw(t, c, http.MethodPost, "secret/undelete/my-api", map[string]any{"versions": []int{1}}); status != http.StatusNoContent {
		t.Fatalf("undelete of a destroyed version: %d %v", status, body)
	}
	kvWantGone(t, s, "secret/data/my-api?version=1", 1, false, true)
	kvWantRead(t, s, "secret/data/my-api", rotated, 2)

	// vault kv metadata get secret/my-api
	status, body = raw(t, c, http.MethodGet, "secret/metadata/my-api", nil)
	if status != http.StatusOK {
		t.Fatalf("metadata: %d %v", status, body)
	}
	md := body["data"]
	if kvField(md, "current_version") != json.Number("2") || kvField(md, "oldest_version") != json.Number("0") ||
		kvField(md, "max_versions") != json.Number("0") || kvField(md, "cas_required") != false ||
		kvField(md, "delete_version_after") != "0s" {
		t.Fatalf("metadata: %v", md)
	}
	if kvField(md, "versions", "1", "destroyed") != true || kvField(md, "versions", "2", "destroyed") != false ||
		kvField(md, "versions", "2", "deletion_time") != "" {
		t.Fatalf("metadata versions: %v", kvField(md, "versions"))
	}
}

// kvWantRead reads path and checks data.data and data.metadata.version.
func kvWantRead(t *testing.T, s *vaulttest.Server, path string, want map[string]any, version int) {
	t.Helper()
	status, body := raw(t, s.Client, http.MethodGet, path, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, status, body)
	}
	if got := kvField(body, "data", "data"); !reflect.DeepEqual(got, want) {
		t.Fatalf("GET %s: data %v, want %v", path, got, want)
	}
	kvWantVersionMeta(t, "GET "+path, kvField(body, "data", "metadata"), version, false, false)
}

// kvWantGone checks a read of a deleted or destroyed version: a 404 whose
// body carries data.data null and data.metadata, as Vault answers.
func kvWantGone(t *testing.T, s *vaulttest.Server, path string, version int, deleted, destroyed bool) {
	t.Helper()
	status, body := raw(t, s.Client, http.MethodGet, path, nil)
	if status != http.StatusNotFound {
		t.Fatalf("GET %s: %d %v, want 404", path, status, body)
	}
	data, ok := body["data"].(map[string]any)
	if !ok {
		t.Fatalf("GET %s: 404 without data.metadata: %v", path, body)
	}
	if d, present := data["data"]; !present || d != nil {
		t.Fatalf("GET %s: data.data = %v, want null", path, d)
	}
	kvWantVersionMeta(t, "GET "+path, data["metadata"], version, deleted, destroyed)
}

// kvWantVersionMeta checks one version's metadata object as Vault gives it
// in write answers and reads.
func kvWantVersionMeta(t *testing.T, what string, md any, version int, deleted, destroyed bool) {
	t.Helper()
	m, ok := md.(map[string]any)
	if !ok {
		t.Fatalf("%s: no version metadata: %v", what, md)
	}
	for _, k := range []string{"created_time", "custom_metadata", "deletion_time", "destroyed", "version"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("%s: metadata lacks %q: %v", what, k, m)
		}
	}
	if m["version"] != json.Number(strconv.Itoa(version)) || m["destroyed"] != destroyed {
		t.Fatalf("%s: metadata %v, want version %d destroyed %v", what, m, version, destroyed)
	}
	created, err := time.Parse(time.RFC3339Nano, m["created_time"].(string))
	if err != nil || created.IsZero() {
		t.Fatalf("%s: created_time %v: %v", what, m["created_time"], err)
	}
	deletion, _ := m["deletion_time"].(string)
	if deleted != (deletion != "") {
		t.Fatalf("%s: deletion_time %q, want deleted=%v", what, deletion, deleted)
	}
	if deleted {
		if _, err := time.Parse(time.RFC3339Nano, deletion); err != nil {
			t.Fatalf("%s: deletion_time %q: %v", what, deletion, err)
		}
	}
}

// TestKVNumberFidelity writes numbers, nesting and an empty object as raw
// JSON text and checks they read back exactly as written, through raw HTTP
// and through the Go client.
func TestKVNumberFidelity(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	const data = `{"big":12345678901234567890123,"price":1.50,"avogadro":6.02214076e23,` +
		`"negzero":-0,"small":-0.000000000000000000001,"nested":{"list":[1,2.0,{"x":null}],"ok":true},"empty":{}}`
	if status, body := kvSend(t, s.Client, http.MethodPost, "secret/data/numbers", "", `{"data":`+data+`}`); status != http.StatusOK {
		t.Fatalf("write: %d %s", status, body)
	}
	want := kvDecode(t, []byte(data))

	_, body := kvSend(t, s.Client, http.MethodGet, "secret/data/numbers", "", "")
	if got := kvField(kvDecode(t, body), "data", "data"); !reflect.DeepEqual(got, want) {
		t.Fatalf("raw read changed the data:\n got %v\nwant %v", got, want)
	}
	sec, err := s.Client.KVv2("secret").Get(t.Context(), "numbers")
	must(t, err, "KVv2 Get")
	if !reflect.DeepEqual(sec.Data, want) {
		t.Fatalf("client read changed the data:\n got %v\nwant %v", sec.Data, want)
	}

	// An empty object is a valid secret.
	if status, body := kvSend(t, s.Client, http.MethodPost, "secret/data/empty", "", `{"data":{}}`); status != http.StatusOK {
		t.Fatalf("write {}: %d %s", status, body)
	}
	_, body = kvSend(t, s.Client, http.MethodGet, "secret/data/empty", "", "")
	if got := kvField(kvDecode(t, body), "data", "data"); !reflect.DeepEqual(got, map[string]any{}) {
		t.Fatalf("empty object read back as %v", got)
	}
}
