package kv_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/kv"
	"github.com/vaultd/vaultd/logical"
)

// shim is a minimal stand-in for server/: it maps HTTP onto one engine
// mounted at /v1/<mount>/ and renders Vault's envelope, so the engine can be
// driven by the real Vault Go client. It is not the server's code.
func shim(t *testing.T, mount string, b logical.Backend) *api.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := shimRequest(r, mount)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []string{err.Error()}})
			return
		}
		if req.Operation == logical.UpdateOperation {
			if ok, exists, err := b.ExistenceCheck(r.Context(), req); err == nil && ok && !exists {
				req.Operation = logical.CreateOperation
			}
		}
		resp, err := b.HandleRequest(r.Context(), req)
		switch {
		case err != nil:
			writeJSON(w, logical.StatusOf(err), map[string]any{"errors": []string{err.Error()}})
		case resp == nil && (req.Operation == logical.ReadOperation || req.Operation == logical.ListOperation):
			writeJSON(w, http.StatusNotFound, map[string]any{"errors": []string{}})
		case resp == nil:
			w.WriteHeader(http.StatusNoContent)
		default:
			code := http.StatusOK
			if resp.StatusCode != 0 {
				code = resp.StatusCode
			}
			writeJSON(w, code, map[string]any{
				"request_id": "r", "lease_id": "", "renewable": false, "lease_duration": 0,
				"data": resp.Data, "wrap_info": nil, "warnings": resp.Warnings, "auth": nil, "mount_type": "kv",
			})
		}
	}))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(&api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken("test-token")
	return c
}

func shimRequest(r *http.Request, mount string) (*logical.Request, error) {
	path, ok := strings.CutPrefix(r.URL.Path, "/v1/"+mount+"/")
	if !ok {
		return nil, errors.New("wrong mount")
	}
	req := &logical.Request{Path: path, ContentType: strings.Split(r.Header.Get("Content-Type"), ";")[0]}
	switch r.Method {
	case http.MethodGet:
		req.Operation = logical.ReadOperation
		if r.URL.Query().Get("list") == "true" {
			req.Operation = logical.ListOperation
		}
	case "LIST":
		req.Operation = logical.ListOperation
	case http.MethodPost, http.MethodPut:
		req.Operation = logical.UpdateOperation
	case http.MethodPatch:
		req.Operation = logical.PatchOperation
	case http.MethodDelete:
		req.Operation = logical.DeleteOperation
	}
	if req.Operation == logical.ReadOperation || req.Operation == logical.ListOperation {
		req.Data = map[string]any{}
		for k, v := range r.URL.Query() {
			req.Data[k] = v[0]
		}
		return req, nil
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&req.Data); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return req, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func newEngine(t *testing.T, mountType string) logical.Backend {
	t.Helper()
	b, err := kv.Factory(context.Background(), &logical.BackendConfig{
		Storage: logical.NewInmemStorage(), System: logical.StaticSystemView{}, MountType: mountType,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAPIClientKVv2 runs every KVv2 helper of the Vault Go client, following
// the walkthrough's flow.
func TestAPIClientKVv2(t *testing.T) {
	ctx := context.Background()
	c := shim(t, "secret", newEngine(t, kv.MountTypeKVv2))
	kv2 := c.KVv2("secret")

	s, err := kv2.Put(ctx, "my-api", map[string]any{"DB_PASSWORD": "pw1", "API_KEY": "key1", "DB_HOST": "db"})
	if err != nil || s.VersionMetadata.Version != 1 || s.VersionMetadata.CreatedTime.IsZero() {
		t.Fatalf("Put: %v %+v", err, s)
	}
	if s, err = kv2.Get(ctx, "my-api"); err != nil || s.Data["DB_PASSWORD"] != "pw1" {
		t.Fatalf("Get: %v %+v", err, s)
	}
	if _, err = kv2.Put(ctx, "my-api", map[string]any{"DB_PASSWORD": "pw2", "API_KEY": "key2", "DB_HOST": "db"}, api.WithCheckAndSet(1)); err != nil {
		t.Fatalf("rotate: %v", err)
	}
	if _, err = kv2.Put(ctx, "my-api", map[string]any{"x": "y"}, api.WithCheckAndSet(1)); err == nil ||
		!strings.Contains(err.Error(), "check-and-set parameter did not match the current version") {
		t.Fatalf("stale cas: %v", err)
	}
	if s, err = kv2.GetVersion(ctx, "my-api", 1); err != nil || s.Data["DB_PASSWORD"] != "pw1" || s.VersionMetadata.Version != 1 {
		t.Fatalf("GetVersion 1: %v %+v", err, s)
	}
	if s, err = kv2.Get(ctx, "my-api"); err != nil || s.Data["DB_PASSWORD"] != "pw2" || s.VersionMetadata.Version != 2 {
		t.Fatalf("Get v2: %v %+v", err, s)
	}

	// Both patch methods.
	if s, err = kv2.Patch(ctx, "my-api", map[string]any{"API_KEY": "key3"}); err != nil || s.VersionMetadata.Version != 3 {
		t.Fatalf("Patch: %v %+v", err, s)
	}
	if s, err = kv2.Patch(ctx, "my-api", map[string]any{"EXTRA": "e"}, api.WithMergeMethod("rw")); err != nil || s.VersionMetadata.Version != 4 {
		t.Fatalf("Patch rw: %v %+v", err, s)
	}
	if s, _ = kv2.Get(ctx, "my-api"); s.Data["API_KEY"] != "key3" || s.Data["EXTRA"] != "e" || s.Data["DB_PASSWORD"] != "pw2" {
		t.Fatalf("after patches: %v", s.Data)
	}
	if _, err = kv2.Patch(ctx, "nothing-here", map[string]any{"a": "b"}); !errors.Is(err, api.ErrSecretNotFound) {
		t.Fatalf("Patch missing: %v", err)
	}

	// Metadata helpers.
	if err = kv2.PutMetadata(ctx, "my-api", api.KVMetadataPutInput{MaxVersions: 7, DeleteVersionAfter: 48 * time.Hour, CustomMetadata: map[string]any{"team": "ops"}}); err != nil {
		t.Fatalf("PutMetadata: %v", err)
	}
	mv := 8
	if err = kv2.PatchMetadata(ctx, "my-api", api.KVMetadataPatchInput{MaxVersions: &mv, CustomMetadata: map[string]any{"tier": "1"}}); err != nil {
		t.Fatalf("PatchMetadata: %v", err)
	}
	md, err := kv2.GetMetadata(ctx, "my-api")
	if err != nil || md.MaxVersions != 8 || md.DeleteVersionAfter != 48*time.Hour || md.CurrentVersion != 4 ||
		md.CustomMetadata["team"] != "ops" || md.CustomMetadata["tier"] != "1" || len(md.Versions) != 4 {
		t.Fatalf("GetMetadata: %v %+v", err, md)
	}
	list, err := kv2.GetVersionsAsList(ctx, "my-api")
	if err != nil || len(list) != 4 || list[0].Version != 1 || list[3].Version != 4 {
		t.Fatalf("GetVersionsAsList: %v %+v", err, list)
	}

	// Soft delete, undelete, destroy, rollback.
	if err = kv2.Delete(ctx, "my-api"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if s, err = kv2.Get(ctx, "my-api"); err != nil || s.Data != nil || s.VersionMetadata.DeletionTime.IsZero() {
		t.Fatalf("Get deleted: %v %+v", err, s)
	}
	if err = kv2.DeleteVersions(ctx, "my-api", []int{1}); err != nil {
		t.Fatalf("DeleteVersions: %v", err)
	}
	if err = kv2.Undelete(ctx, "my-api", []int{1, 4}); err != nil {
		t.Fatalf("Undelete: %v", err)
	}
	if s, err = kv2.Get(ctx, "my-api"); err != nil || s.Data["EXTRA"] != "e" {
		t.Fatalf("Get undeleted: %v %+v", err, s)
	}
	if err = kv2.Destroy(ctx, "my-api", []int{1}); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if s, err = kv2.GetVersion(ctx, "my-api", 1); err != nil || s.Data != nil || !s.VersionMetadata.Destroyed {
		t.Fatalf("GetVersion destroyed: %v %+v", err, s)
	}
	if s, err = kv2.Rollback(ctx, "my-api", 2); err != nil || s.VersionMetadata.Version != 5 {
		t.Fatalf("Rollback: %v %+v", err, s)
	}
	if s, _ = kv2.Get(ctx, "my-api"); s.Data["API_KEY"] != "key2" {
		t.Fatalf("after rollback: %v", s.Data)
	}

	// Raw LIST and subkeys.
	if _, err = kv2.Put(ctx, "team/a", map[string]any{"k": map[string]any{"n": 1}}); err != nil {
		t.Fatal(err)
	}
	ls, err := c.Logical().ListWithContext(ctx, "secret/metadata")
	if err != nil || jsonString(t, ls.Data["keys"]) != `["my-api","team/"]` {
		t.Fatalf("LIST: %v %+v", err, ls)
	}
	sk, err := c.Logical().ReadWithContext(ctx, "secret/subkeys/team/a")
	if err != nil || jsonString(t, sk.Data["subkeys"]) != `{"k":{"n":null}}` {
		t.Fatalf("subkeys: %v %+v", err, sk)
	}

	if err = kv2.DeleteMetadata(ctx, "my-api"); err != nil {
		t.Fatalf("DeleteMetadata: %v", err)
	}
	if _, err = kv2.Get(ctx, "my-api"); !errors.Is(err, api.ErrSecretNotFound) {
		t.Fatalf("Get after DeleteMetadata: %v", err)
	}
}

func TestAPIClientKVv1(t *testing.T) {
	ctx := context.Background()
	kv1 := shim(t, "kv", newEngine(t, kv.MountTypeKV)).KVv1("kv")
	if err := kv1.Put(ctx, "app", map[string]any{"user": "u", "n": 3}); err != nil {
		t.Fatal(err)
	}
	s, err := kv1.Get(ctx, "app")
	if err != nil || s.Data["user"] != "u" || s.Data["n"] != json.Number("3") {
		t.Fatalf("Get: %v %+v", err, s)
	}
	if err := kv1.Delete(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if _, err := kv1.Get(ctx, "app"); !errors.Is(err, api.ErrSecretNotFound) {
		t.Fatalf("Get deleted: %v", err)
	}
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
