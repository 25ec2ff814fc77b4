package server

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// chunkRecorder is an httptest.ResponseRecorder that also keeps the size
// of every Write, to see the body leave in pieces.
type chunkRecorder struct {
	*httptest.ResponseRecorder
	writes []int
}

func (w *chunkRecorder) Write(p []byte) (int, error) {
	w.writes = append(w.writes, len(p))
	return w.ResponseRecorder.Write(p)
}

// encodedBefore is the body the server wrote before it streamed: the value
// respondLogical chose, through json.Marshal, with Encode's newline.
func encodedBefore(t *testing.T, req *logical.Request, resp *logical.Response) []byte {
	t.Helper()
	var v any
	switch env := newEnvelope(req, resp); {
	case resp.Raw:
		v = resp.Data
	case len(env.Data) > 0 && injectsData(req.Path):
		body, err := withTopLevelData(env)
		if err != nil {
			t.Fatal(err)
		}
		v = body
	default:
		v = env
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// streamedBody renders resp through bodyStream whatever its size, the
// way a long LIST answer is written.
func streamedBody(t *testing.T, req *logical.Request, resp *logical.Response) []byte {
	t.Helper()
	w := httptest.NewRecorder()
	if resp.Raw {
		s, err := newBodyStream(w, http.StatusOK, resp.Data, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.data(resp.Data)
		s.finish()
		return w.Body.Bytes()
	}
	env := newEnvelope(req, resp)
	s, err := newBodyStream(w, http.StatusOK, env.Data, env.WrapInfo, env.Auth)
	if err != nil {
		t.Fatal(err)
	}
	s.envelope(env)
	s.finish()
	return w.Body.Bytes()
}

// sameBytes fails the test unless got equals want, showing where not.
func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < min(len(got), len(want)) && got[i] == want[i] {
		i++
	}
	t.Fatalf("%s: bodies differ at byte %d of %d/%d\n got …%s\nwant …%s", what,
		i, len(got), len(want), got[max(0, i-40):min(len(got), i+40)], want[max(0, i-40):min(len(want), i+40)])
}

// TestStreamedBodySameBytes renders a corpus of answers — lists (one of
// 10,000 names, with names that need escaping), reads, leased and auth
// answers, wrapped answers, sys answers with their data also at the top
// level, raw bodies — and compares each body byte for byte with
// json.Marshal of what was encoded before: as the server writes it (in
// pieces for the long lists, whole for the rest), and, except where the
// data is copied to the top level, as written in pieces whatever its size.
func TestStreamedBodySameBytes(t *testing.T) {
	big := listOf(10_000)
	big[17] = `we<ird>&"quoted"\back`
	big[18] = "ctl\x01\t\n\u2028\u2029"
	big[19] = "bad utf-8 \xff\xfe ok é 日本"
	// One character needing escape per name, so that no check hides another.
	for i, c := range []string{"<", ">", "&", `"`, `\`, "\x00", "\x1f", "\x7f", "\x80", "\u2028", "é", "\t", "~", " "} {
		big[20+i] = "name" + c + "end"
	}
	list := func(keys any) *logical.Response { return &logical.Response{Data: map[string]any{"keys": keys}} }
	cases := []struct {
		name string
		op   logical.Operation
		path string
		id   string
		resp *logical.Response
	}{
		{"list 10k", logical.ListOperation, "secret/metadata/team/", "", list(big)},
		{"list small", logical.ListOperation, "secret/metadata/", "", list([]string{"a", "b/"})},
		{"list []any", logical.ListOperation, "cubbyhole/", "", list([]any{"x", "y/"})},
		{"list with key_info", logical.ListOperation, "auth/token/accessors/", "",
			&logical.Response{Data: map[string]any{"keys": []string{"k1"}, "key_info": map[string]any{"k1": map[string]any{"n": 1}}}}},
		{"kv v2 read", logical.ReadOperation, "secret/data/app", "", &logical.Response{Data: map[string]any{
			"data": map[string]any{
				"password": "hunter2<>&", "port": json.Number("5432"), "big": json.Number("12345678901234567890"),
				"f": 1.5, "nested": map[string]any{"z": []any{1, "two", nil, true}}, "nil": nil,
			},
			"metadata": map[string]any{"created_time": "2026-01-01T00:00:00Z", "version": 3, "custom_metadata": nil, "deletion_time": ""},
		}}},
		{"typed values", logical.ReadOperation, "x/y", `id-<&>"`, &logical.Response{
			Data: map[string]any{
				"raw": json.RawMessage(`{ "b" : 1,"a":[ 1, 2 ] }`), "bytes": []byte("hi"), "when": time.Unix(1700000000, 0).UTC(),
				"strs": map[string]string{"b": "2", "a": "1"}, "nil keys": []string(nil), "empty": []string{}, "é<": "key needing escape",
			},
			Warnings: []string{"careful <now>"},
		}},
		{"leased", logical.ReadOperation, "database/creds/ro", "", &logical.Response{
			Data:   map[string]any{"username": "v-ro-1", "password": "pw"},
			Secret: &logical.Secret{LeaseID: "database/creds/ro/abc", TTL: 90 * time.Minute, Renewable: true},
		}},
		{"negative lease", logical.ReadOperation, "x/neg", "", &logical.Response{
			Data: map[string]any{"a": 1}, Secret: &logical.Secret{LeaseID: "l", TTL: -3 * time.Second},
		}},
		{"login", logical.UpdateOperation, "auth/userpass/login/ann", "", &logical.Response{
			Auth: &logical.Auth{
				ClientToken: "hvs.child", Accessor: "acc", Policies: []string{"default", "dev"},
				TokenPolicies: []string{"default"}, IdentityPolicies: []string{"dev"},
				Metadata: map[string]string{"username": "ann"}, TTL: time.Hour, Renewable: true,
				EntityID: "ent", Orphan: true, NumUses: 2,
			},
		}},
		{"wrapped", logical.ReadOperation, "secret/data/app", "", &logical.Response{
			Data:     map[string]any{"ignored": true},
			Warnings: []string{"w"},
			WrapInfo: &logical.WrapInfo{Token: "hvs.wrap", Accessor: "wacc", TTL: time.Minute, CreationTime: time.Unix(1700000000, 0).UTC(), CreationPath: "secret/data/app"},
		}},
		{"empty data", logical.UpdateOperation, "sys/tools/random", "", &logical.Response{Data: map[string]any{}}},
		{"no data, warnings only", logical.UpdateOperation, "sys/x", "", &logical.Response{Warnings: []string{}}},
		{"sys/mounts (top-level data)", logical.ReadOperation, "sys/mounts", "", &logical.Response{Data: map[string]any{
			"secret/":    map[string]any{"type": "kv", "options": map[string]any{"version": "2"}},
			"request_id": "data key clashing with the envelope",
		}}},
		{"sys/policy list (top-level data)", logical.ListOperation, "sys/policy", "", &logical.Response{Data: map[string]any{
			"keys": []string{"default", "root"}, "policies": []string{"default", "root"},
		}}},
		{"sys/leases/lookup", logical.UpdateOperation, "sys/leases/lookup", "", &logical.Response{Data: map[string]any{
			"id": "l", "ttl": 30, "renewable": false, "expire_time": "2026-01-01T00:00:00Z",
		}}},
		{"raw", logical.ReadOperation, "sys/raw-thing", "", &logical.Response{Raw: true, Data: map[string]any{"keys": big[:50], "x": "<y>"}}},
		{"raw nil data", logical.ReadOperation, "sys/raw-nil", "", &logical.Response{Raw: true}},
		{"raw status", logical.ReadOperation, "sys/raw-status", "", &logical.Response{Raw: true, StatusCode: 429, Data: map[string]any{"a": "b"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := &logical.Request{ID: c.id, Operation: c.op, Path: c.path, MountType: "kv"}
			if req.ID == "" {
				req.ID = "0b0c6a58-52a4-8d6f-0a44-1f5e7d1c2b3a"
			}
			w := &chunkRecorder{ResponseRecorder: httptest.NewRecorder()}
			respondLogical(w, req, c.resp, nil)
			wantStatus := http.StatusOK
			if c.resp.StatusCode != 0 {
				wantStatus = c.resp.StatusCode
			}
			if w.Code != wantStatus {
				t.Fatalf("status %d, want %d: %s", w.Code, wantStatus, w.Body)
			}
			want := encodedBefore(t, req, c.resp)
			sameBytes(t, "as served", w.Body.Bytes(), want)
			if !injectsData(c.path) || c.resp.Raw {
				sameBytes(t, "in pieces", streamedBody(t, req, c.resp), want)
			}
		})
	}
}

// TestStreamedListLeavesInPieces shows a large LIST answer reaching the
// ResponseWriter as it is encoded: many writes, none much larger than
// flushSize, where before the whole body was one write.
func TestStreamedListLeavesInPieces(t *testing.T) {
	req := &logical.Request{ID: "id", Operation: logical.ListOperation, Path: "secret/metadata/team/", MountType: "kv"}
	w := &chunkRecorder{ResponseRecorder: httptest.NewRecorder()}
	respondLogical(w, req, &logical.Response{Data: map[string]any{"keys": listOf(10_000)}}, nil)
	body := w.Body.Len()
	if body < 10*flushSize {
		t.Fatalf("body of %d bytes is too small for the test", body)
	}
	largest := 0
	for _, n := range w.writes {
		largest = max(largest, n)
	}
	if len(w.writes) < body/(2*flushSize) || largest > flushSize+1024 {
		t.Fatalf("a %d-byte body went out in %d writes, the largest %d bytes: not streamed in pieces of about %d",
			body, len(w.writes), largest, flushSize)
	}
	var got struct{ Data struct{ Keys []string } }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Data.Keys) != 10_000 {
		t.Fatalf("decoded %d keys, err %v", len(got.Data.Keys), err)
	}
}

// TestStreamedBodyEncodingError: a value JSON cannot encode (a backend
// bug) is a clean 500 with Vault's error body, never a 200 with a broken
// or empty body, whether the answer is written whole or in pieces (the
// bad value sorting after a long list of keys).
func TestStreamedBodyEncodingError(t *testing.T) {
	long := listOf(2 * streamAt)
	for name, resp := range map[string]*logical.Response{
		"whole":         {Data: map[string]any{"keys": []string{"a"}, "nan": math.NaN()}},
		"in pieces":     {Data: map[string]any{"keys": long, "nan": math.NaN()}},
		"raw whole":     {Raw: true, Data: map[string]any{"ch": make(chan int)}},
		"raw in pieces": {Raw: true, Data: map[string]any{"keys": long, "zz": make(chan int)}},
	} {
		t.Run(name, func(t *testing.T) {
			req := &logical.Request{ID: "id", Operation: logical.ReadOperation, Path: "x/y"}
			rec := httptest.NewRecorder()
			sw := &statusWriter{ResponseWriter: rec}
			respondLogical(sw, req, resp, nil)
			if rec.Code != http.StatusInternalServerError || strings.TrimSpace(rec.Body.String()) != `{"errors":["failed to encode the response"]}` {
				t.Fatalf("got %d %.200s", rec.Code, rec.Body)
			}
			if sw.internal == nil {
				t.Fatal("the encoding error was not recorded for the request log")
			}
		})
	}
}
