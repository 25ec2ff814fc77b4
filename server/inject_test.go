package server

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// TestTopLevelDataOnLegacySysPaths: as Vault does, the answers of the older
// sys/ endpoints (mounts, auth, policy, audit, capabilities ...) carry their
// data keys at the top level as well as in "data"; no other path does, and
// a data key never replaces an envelope field.
func TestTopLevelDataOnLegacySysPaths(t *testing.T) {
	cases := []struct {
		method, target string
		wantTop        bool
	}{
		{"GET", "/v1/sys/mounts", true},
		{"GET", "/v1/sys/mounts/secret", true},
		{"GET", "/v1/sys/mounts/secret/tune", true},
		{"GET", "/v1/sys/auth", true},
		{"GET", "/v1/sys/auth/kubernetes/tune", true},
		{"GET", "/v1/sys/policy", true},
		{"GET", "/v1/sys/policy/p1", true},
		{"GET", "/v1/sys/audit", true},
		{"PUT", "/v1/sys/audit-hash/file", true},
		{"PUT", "/v1/sys/capabilities-self", true},
		{"PUT", "/v1/sys/capabilities", true},
		{"PUT", "/v1/sys/capabilities-accessor", true},
		{"GET", "/v1/sys/key-status", true},
		{"GET", "/v1/sys/policies/acl/p1", false},
		{"GET", "/v1/sys/internal/ui/mounts", false},
		{"GET", "/v1/sys/mountsx", false},
		{"GET", "/v1/sys/auditing", false},
		{"GET", "/v1/secret/data/x", false},
		{"GET", "/v1/auth/token/lookup-self", false},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			resp := &logical.Response{Data: map[string]any{
				"secret/":    map[string]any{"type": "kv"},
				"request_id": "from-data",
				"keys":       []string{"a"},
			}}
			fc := answering(resp, nil)
			s, _ := newTestServer(t, fc)
			w := do(t, s.Handler(), tc.method, tc.target, "")
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
			body := decodeBody(t, w)
			data, _ := body["data"].(map[string]any)
			if !reflect.DeepEqual(data["secret/"], map[string]any{"type": "kv"}) {
				t.Fatalf("data lost: %v", body["data"])
			}
			_, top := body["secret/"]
			if top != tc.wantTop {
				t.Fatalf("top-level data key present=%v, want %v: %s", top, tc.wantTop, w.Body.String())
			}
			if tc.wantTop && !reflect.DeepEqual(body["keys"], []any{"a"}) {
				t.Errorf("top-level keys = %#v", body["keys"])
			}
			if got := body["request_id"]; got != fc.lastRequest(t).ID {
				t.Errorf("request_id = %v: a data key replaced the envelope's", got)
			}
		})
	}
}

// TestTopLevelDataNotAddedWithoutData: a legacy path answering no data
// (a 204, or a response with empty data) is unchanged.
func TestTopLevelDataNotAddedWithoutData(t *testing.T) {
	fc := answering(&logical.Response{Warnings: []string{"w"}}, nil)
	s, _ := newTestServer(t, fc)
	w := do(t, s.Handler(), "GET", "/v1/sys/mounts", "")
	body := decodeBody(t, w)
	if len(body) != 9 {
		t.Fatalf("envelope changed: %s", w.Body.String())
	}
}
