package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// Unit tests of the logical.Response/error -> HTTP mapping, against the
// fakeCore test double.

// answering returns a fakeCore whose HandleRequest answers resp, err and
// sets req.MountType as the real core does.
func answering(resp *logical.Response, err error) *fakeCore {
	return &fakeCore{initialized: true, handle: func(_ context.Context, req *logical.Request) (*logical.Response, error) {
		req.MountType = "kv"
		return resp, err
	}}
}

func TestEnvelope(t *testing.T) {
	resp := &logical.Response{
		Data:     map[string]any{"foo": "bar", "n": json.Number("12345678901234567890")},
		Warnings: []string{"careful"},
		Secret:   &logical.Secret{LeaseID: "kv/creds/abc", TTL: 90 * time.Minute, Renewable: true},
		Auth: &logical.Auth{
			ClientToken: "hvs.child", Accessor: "acc123",
			Policies: []string{"default", "dev"}, TokenPolicies: []string{"default", "dev"},
			Metadata: map[string]string{"user": "ann"}, TTL: time.Hour, Renewable: true,
			EntityID: "ent-1", TokenType: logical.TokenTypeService, Orphan: true, NumUses: 3,
		},
	}
	fc := answering(resp, nil)
	s, _ := newTestServer(t, fc)
	w := do(t, s.Handler(), "GET", "/v1/secret/data/x", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", w.Code, w.Body.String())
	}
	wantCommonHeaders(t, w)
	body := decodeBody(t, w)

	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	wantKeys := []string{"auth", "data", "lease_duration", "lease_id", "mount_type", "renewable", "request_id", "warnings", "wrap_info"}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Fatalf("envelope keys = %v, want %v", keys, wantKeys)
	}
	want := map[string]any{
		"request_id":     fc.lastRequest(t).ID,
		"lease_id":       "kv/creds/abc",
		"renewable":      true,
		"lease_duration": json.Number("5400"),
		"data":           map[string]any{"foo": "bar", "n": json.Number("12345678901234567890")},
		"wrap_info":      nil,
		"warnings":       []any{"careful"},
		"mount_type":     "kv",
		"auth": map[string]any{
			"client_token": "hvs.child", "accessor": "acc123",
			"policies": []any{"default", "dev"}, "token_policies": []any{"default", "dev"},
			"metadata": map[string]any{"user": "ann"}, "lease_duration": json.Number("3600"),
			"renewable": true, "entity_id": "ent-1", "token_type": "service", "orphan": true,
			"mfa_requirement": nil, "num_uses": json.Number("3"),
		},
	}
	for k, v := range want {
		if !reflect.DeepEqual(body[k], v) {
			t.Errorf("%s = %#v, want %#v", k, body[k], v)
		}
	}
}

func TestEnvelopeEmptyFields(t *testing.T) {
	// A response with nothing set still carries every field, with Vault's
	// zero values: null data, warnings, wrap_info and auth.
	s, _ := newTestServer(t, answering(&logical.Response{}, nil))
	w := do(t, s.Handler(), "PUT", "/v1/sys/mounts/kv", `{"type":"kv"}`)
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", w.Code, w.Body.String())
	}
	body := decodeBody(t, w)
	for _, k := range []string{"data", "warnings", "wrap_info", "auth"} {
		if v, ok := body[k]; !ok || v != nil {
			t.Errorf("%s = %#v (present %v), want null", k, v, ok)
		}
	}
	if body["lease_id"] != "" || body["renewable"] != false || body["lease_duration"] != json.Number("0") || body["mount_type"] != "kv" {
		t.Errorf("envelope = %v", body)
	}
}

func TestNilAndListResponses(t *testing.T) {
	tests := []struct {
		name, method, target string
		resp                 *logical.Response
		wantStatus           int
	}{
		{"read of nothing", "GET", "/v1/secret/data/x", nil, 404},
		{"list of nothing", "LIST", "/v1/secret/metadata/", nil, 404},
		{"update with nothing to say", "PUT", "/v1/secret/data/x", nil, 204},
		{"post with nothing to say", "POST", "/v1/secret/data/x", nil, 204},
		{"delete", "DELETE", "/v1/secret/data/x", nil, 204},
		{"list with no data", "LIST", "/v1/secret/metadata/", &logical.Response{}, 404},
		{"list with empty keys", "GET", "/v1/secret/metadata?list=true", &logical.Response{Data: map[string]any{"keys": []string{}}}, 404},
		{"list with empty any keys", "LIST", "/v1/x/", &logical.Response{Data: map[string]any{"keys": []any{}}}, 404},
		{"list with keys", "LIST", "/v1/x/", &logical.Response{Data: map[string]any{"keys": []string{"a", "b/"}}}, 200},
		{"list with any keys", "LIST", "/v1/x/", &logical.Response{Data: map[string]any{"keys": []any{"a"}}}, 200},
		{"list with other data", "LIST", "/v1/x/", &logical.Response{Data: map[string]any{"info": "x"}}, 200},
		{"list with only warnings", "LIST", "/v1/x/", &logical.Response{Warnings: []string{"w"}}, 200},
		{"list with non-string keys", "LIST", "/v1/x/", &logical.Response{Data: map[string]any{"keys": []any{1}}}, 500},
		{"list with keys of a bad type", "LIST", "/v1/x/", &logical.Response{Data: map[string]any{"keys": "a"}}, 500},
		{"read with no data", "GET", "/v1/x", &logical.Response{}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, answering(tt.resp, nil))
			w := do(t, s.Handler(), tt.method, tt.target, "")
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.wantStatus, w.Body.String())
			}
			wantCommonHeaders(t, w)
			switch tt.wantStatus {
			case 404:
				wantError(t, w, 404, "")
			case 204:
				if w.Body.Len() != 0 {
					t.Errorf("204 with a body: %q", w.Body.String())
				}
			}
		})
	}
}

func TestRawRedirectAndStatusCode(t *testing.T) {
	t.Run("raw data is the whole body", func(t *testing.T) {
		resp := &logical.Response{Raw: true, Data: map[string]any{"type": "shamir", "sealed": false}}
		s, _ := newTestServer(t, answering(resp, nil))
		w := do(t, s.Handler(), "GET", "/v1/sys/key-status", "")
		body := decodeBody(t, w)
		if w.Code != 200 || !reflect.DeepEqual(body, map[string]any{"type": "shamir", "sealed": false}) {
			t.Fatalf("status %d body %v", w.Code, body)
		}
		wantCommonHeaders(t, w)
	})
	t.Run("raw with a secret is refused", func(t *testing.T) {
		resp := &logical.Response{Raw: true, Data: map[string]any{"k": "v"}, Secret: &logical.Secret{LeaseID: "l"}}
		s, _ := newTestServer(t, answering(resp, nil))
		wantError(t, do(t, s.Handler(), "GET", "/v1/x", ""), 500, "raw responses cannot contain secrets or auth")
	})
	t.Run("status code override keeps the envelope", func(t *testing.T) {
		resp := &logical.Response{StatusCode: 404, Data: map[string]any{"metadata": map[string]any{"deletion_time": "2024-01-01T00:00:00Z"}}}
		s, _ := newTestServer(t, answering(resp, nil))
		w := do(t, s.Handler(), "GET", "/v1/secret/data/x", "")
		body := decodeBody(t, w)
		if w.Code != 404 || body["data"] == nil || body["request_id"] == "" {
			t.Fatalf("status %d body %v", w.Code, body)
		}
	})
	t.Run("status code override on raw", func(t *testing.T) {
		resp := &logical.Response{Raw: true, StatusCode: 429, Data: map[string]any{"standby": true}}
		s, _ := newTestServer(t, answering(resp, nil))
		if w := do(t, s.Handler(), "GET", "/v1/x", ""); w.Code != 429 {
			t.Fatalf("status = %d, want 429", w.Code)
		}
	})
	t.Run("invalid status code", func(t *testing.T) {
		s, _ := newTestServer(t, answering(&logical.Response{StatusCode: 42}, nil))
		wantError(t, do(t, s.Handler(), "GET", "/v1/x", ""), 500, "invalid response status")
	})
	t.Run("redirect", func(t *testing.T) {
		s, _ := newTestServer(t, answering(&logical.Response{Redirect: "https://other:8200/v1/x"}, nil))
		w := do(t, s.Handler(), "GET", "/v1/x", "")
		if w.Code != http.StatusTemporaryRedirect || w.Header().Get("Location") != "https://other:8200/v1/x" {
			t.Fatalf("status %d location %q", w.Code, w.Header().Get("Location"))
		}
		wantCommonHeaders(t, w)
	})
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantMsg    string
	}{
		{"invalid request", logical.InvalidRequest("field %q: bad", "ttl"), 400, `field "ttl": bad`},
		{"permission denied", logical.ErrPermissionDenied, 403, "permission denied"},
		{"wrapped permission denied", fmt.Errorf("checking ACL: %w", logical.ErrPermissionDenied), 403, "permission denied"},
		{"unsupported path", logical.ErrUnsupportedPath, 404, "unsupported path"},
		{"no handler", logical.CodedErrorf(404, "no handler for route %q", "nope/"), 404, "no handler for route"},
		{"unsupported operation", logical.ErrUnsupportedOperation, 405, "unsupported operation"},
		{"rate limited", logical.CodedErrorf(429, "rate limit quota exceeded"), 429, "rate limit quota exceeded"},
		{"sealed", logical.ErrSealed, 503, "Vault is sealed"},
		// An error without a status is an internal failure: the client is
		// told only that (TestInternalErrorDetailsOnlyInLog).
		{"plain error is a 500 internal error", errors.New("storage unavailable"), 500, "internal error"},
		{"coded 500 keeps its message", logical.CodedErrorf(500, "no audit device could be opened"), 500, "no audit device could be opened"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A response alongside an error is ignored: the error wins.
			s, _ := newTestServer(t, answering(&logical.Response{Data: map[string]any{"leak": "no"}}, tt.err))
			w := do(t, s.Handler(), "PUT", "/v1/secret/data/x", `{}`)
			wantError(t, w, tt.wantStatus, tt.wantMsg)
			wantCommonHeaders(t, w)
		})
	}
}

func TestNoContentHeaders(t *testing.T) {
	// 204s carry the same headers as every other response.
	fc := &fakeCore{initialized: true}
	s, _ := newTestServer(t, fc)
	for _, tt := range []struct{ method, target, body string }{
		{"PUT", "/v1/secret/data/x", `{"a":"b"}`},
		{"DELETE", "/v1/secret/data/x", ""},
		{"PUT", "/v1/sys/seal", ""},
	} {
		w := do(t, s.Handler(), tt.method, tt.target, tt.body, "X-Vault-Token", "hvs.root")
		if w.Code != http.StatusNoContent {
			t.Fatalf("%s %s: status %d", tt.method, tt.target, w.Code)
		}
		wantCommonHeaders(t, w)
	}
}

// TestInternalErrorDetailsOnlyInLog: an internal failure (a full disk,
// say) reaches the client as 500 "internal error"; what failed, with the
// data file's path, is only in the server log.
func TestInternalErrorDetailsOnlyInLog(t *testing.T) {
	detail := "write /var/lib/vaultd/vaultd.db: no space left on device"
	s, logs := newTestServer(t, answering(nil, fmt.Errorf("kv: put: %w", errors.New(detail))))
	w := do(t, s.Handler(), "PUT", "/v1/secret/data/x", `{"data":{"a":"b"}}`, "X-Vault-Token", "hvs.root")
	wantError(t, w, http.StatusInternalServerError, "internal error")
	if strings.Contains(w.Body.String(), "vaultd.db") || strings.Contains(w.Body.String(), "no space") {
		t.Fatalf("the response names the failure: %s", w.Body.String())
	}
	if !strings.Contains(logs.String(), detail) {
		t.Fatalf("the server log lacks the failure:\n%s", logs.String())
	}
}
