package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// Unit tests of the sealed gate and sys/health, against the fakeCore test
// double.

func TestSealedGate(t *testing.T) {
	tests := []struct{ method, target, body string }{
		{"GET", "/v1/sys/mounts", ""},
		{"GET", "/v1/secret/data/x", ""},
		{"GET", "/v1/auth/token/lookup-self", ""},
		{"POST", "/v1/auth/token/lookup-self", ""},
		{"LIST", "/v1/secret/metadata/", ""},
		{"GET", "/v1/secret/metadata?list=true", ""},
		{"PUT", "/v1/secret/data/x", `{"not json`}, // no body is parsed while sealed
		{"PUT", "/v1/sys/seal", ""},
		{"PUT", "/v1/sys/init/", ""}, // only the exact sys paths answer while sealed
		{"DELETE", "/v1/sys/mounts/secret", ""},
		{"GET", "/v1/sys/health/x", ""},
	}
	fc := &fakeCore{initialized: true, sealed: true}
	s, _ := newTestServer(t, fc, func(c *Config) { c.MaxRequestSize = 4 })
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			w := do(t, s.Handler(), tt.method, tt.target, tt.body, "X-Vault-Token", "hvs.root")
			wantError(t, w, http.StatusServiceUnavailable, "Vault is sealed")
			if errs := errorsOf(t, w); len(errs) != 1 || errs[0] != "Vault is sealed" {
				t.Fatalf("errors = %q, want exactly [\"Vault is sealed\"]", errs)
			}
			wantCommonHeaders(t, w)
		})
	}
	if n := len(fc.requests()); n != 0 {
		t.Fatalf("the core received %d requests while sealed", n)
	}
	if len(fc.sealTokens) != 0 {
		t.Fatalf("Seal was called while sealed")
	}

	// The paths that must work sealed do.
	for _, tt := range []struct {
		method, target, body string
		want                 int
	}{
		{"GET", "/v1/sys/seal-status", "", 200},
		{"GET", "/v1/sys/init", "", 200},
		{"PUT", "/v1/sys/unseal", `{"reset":true}`, 200},
		{"GET", "/v1/sys/leader", "", 200},
		{"GET", "/v1/sys/health", "", 503},
		{"HEAD", "/v1/sys/health", "", 503},
	} {
		s, _ := newTestServer(t, fc)
		if w := do(t, s.Handler(), tt.method, tt.target, tt.body); w.Code != tt.want {
			t.Errorf("%s %s while sealed: status %d, want %d: %s", tt.method, tt.target, w.Code, tt.want, w.Body.String())
		}
	}
}

func TestHealth(t *testing.T) {
	tests := []struct {
		name                string
		initialized, sealed bool
		query               string
		wantStatus          int
	}{
		{"active", true, false, "", 200},
		{"sealed", true, true, "", 503},
		{"uninitialised", false, true, "", 501},
		{"sealedcode override", true, true, "?sealedcode=200", 200},
		{"uninitcode override", false, true, "?uninitcode=299", 299},
		{"activecode override", true, false, "?activecode=204", 204},
		{"standbyok has no effect on an active node", true, false, "?standbyok=true", 200},
		{"bare standbyok", true, false, "?standbyok", 200},
		{"perfstandbyok", true, false, "?perfstandbyok=true&standbycode=299", 200},
		{"the vault api client's overrides", false, true, "?uninitcode=299&sealedcode=299&standbycode=299&drsecondarycode=299&performancestandbycode=299", 299},
		{"uninitialised is checked before sealed", false, false, "?sealedcode=299", 501},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCore{initialized: tt.initialized, sealed: tt.sealed}
			s, _ := newTestServer(t, fc)
			w := do(t, s.Handler(), "GET", "/v1/sys/health"+tt.query, "")
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.wantStatus, w.Body.String())
			}
			if tt.wantStatus == 204 {
				return
			}
			wantCommonHeaders(t, w)
			body := decodeBody(t, w)
			want := map[string]any{
				"initialized": tt.initialized, "sealed": tt.sealed, "standby": false,
				"performance_standby": false, "replication_performance_mode": "disabled",
				"replication_dr_mode": "disabled", "server_time_utc": json.Number("1700000000"),
				"version": "0.1.0-test", "enterprise": false,
			}
			for k, v := range want {
				if body[k] != v {
					t.Errorf("%s = %#v, want %#v", k, body[k], v)
				}
			}
			_, hasName := body["cluster_name"]
			if hasName != !tt.sealed {
				t.Errorf("cluster_name present = %v, want %v (only when unsealed)", hasName, !tt.sealed)
			}
			// HEAD gives the same status and no body.
			h := do(t, s.Handler(), "HEAD", "/v1/sys/health"+tt.query, "")
			if h.Code != tt.wantStatus || h.Body.Len() != 0 {
				t.Errorf("HEAD: status %d body %q, want %d and none", h.Code, h.Body.String(), tt.wantStatus)
			}
		})
	}
}

func TestHealthBadInput(t *testing.T) {
	tests := []struct{ query, wantMsg string }{
		{"?standbyok=maybe", "standbyok"},
		{"?perfstandbyok=2", "perfstandbyok"},
		{"?sealedcode=abc", "sealedcode"},
		{"?uninitcode=42", "uninitcode"},
		{"?activecode=1000", "activecode"},
		{"?standbycode=", "standbycode"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			s, _ := newTestServer(t, &fakeCore{initialized: true})
			wantError(t, do(t, s.Handler(), "GET", "/v1/sys/health"+tt.query, ""), 400, tt.wantMsg)
			if w := do(t, s.Handler(), "HEAD", "/v1/sys/health"+tt.query, ""); w.Code != 400 {
				t.Errorf("HEAD: status %d, want 400", w.Code)
			}
		})
	}
}

func TestHealthCoreError(t *testing.T) {
	s, logs := newTestServer(t, &fakeCore{err: errors.New("storage unreachable")})
	wantError(t, do(t, s.Handler(), "GET", "/v1/sys/health", ""), 500, "internal error")
	if !strings.Contains(logs.String(), "storage unreachable") {
		t.Fatalf("the log lacks the failure:\n%s", logs.String())
	}
}
