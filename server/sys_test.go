package server

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/core"
	"github.com/vaultd/vaultd/logical"
)

// Unit tests of the sys/ endpoints the server answers itself, against the
// fakeCore test double (which has no seal logic: it records what it is
// given and returns canned answers).

func TestInit(t *testing.T) {
	shares := [][]byte{bytes.Repeat([]byte{1}, 33), bytes.Repeat([]byte{0xfe}, 33)}
	fc := &fakeCore{initResult: &core.InitResult{Shares: shares, RootToken: "hvs.root"}}
	s, logs := newTestServer(t, fc)

	w := do(t, s.Handler(), "GET", "/v1/sys/init", "")
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"initialized":false}` {
		t.Fatalf("GET sys/init: %d %s", w.Code, w.Body.String())
	}

	w = do(t, s.Handler(), "PUT", "/v1/sys/init", `{"secret_shares":2,"secret_threshold":"2","pgp_keys":null,"root_token_pgp_key":"","stored_shares":0,"recovery_shares":0,"recovery_threshold":0,"recovery_pgp_keys":null}`)
	if w.Code != 200 {
		t.Fatalf("PUT sys/init: %d %s", w.Code, w.Body.String())
	}
	wantCommonHeaders(t, w)
	body := decodeBody(t, w)
	wantBody := map[string]any{
		"keys":        []any{hex.EncodeToString(shares[0]), hex.EncodeToString(shares[1])},
		"keys_base64": []any{base64.StdEncoding.EncodeToString(shares[0]), base64.StdEncoding.EncodeToString(shares[1])},
		"root_token":  "hvs.root",
	}
	if !reflect.DeepEqual(body, wantBody) {
		t.Fatalf("body = %v, want %v", body, wantBody)
	}
	if want := []core.InitParams{{SecretShares: 2, SecretThreshold: 2}}; !reflect.DeepEqual(fc.initCalls, want) {
		t.Fatalf("Initialize got %+v, want %+v", fc.initCalls, want)
	}
	for _, secret := range []string{"hvs.root", hex.EncodeToString(shares[0]), base64.StdEncoding.EncodeToString(shares[1])} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("the log holds a secret from sys/init: %s", logs.String())
		}
	}
}

func TestInitBadInput(t *testing.T) {
	tests := []struct {
		name, body string
		coreErr    error
		wantStatus int
		wantMsg    string
	}{
		{"pgp keys", `{"secret_shares":3,"secret_threshold":2,"pgp_keys":["a","b","c"]}`, nil, 400, "pgp_keys is not supported"},
		{"root token pgp key", `{"secret_shares":1,"secret_threshold":1,"root_token_pgp_key":"abc"}`, nil, 400, "root_token_pgp_key is not supported"},
		{"recovery keys", `{"secret_shares":1,"secret_threshold":1,"recovery_shares":3,"recovery_threshold":2}`, nil, 400, "parameters recovery_shares,recovery_threshold not applicable to seal type shamir"},
		{"stored shares", `{"secret_shares":1,"secret_threshold":1,"stored_shares":1}`, nil, 400, "stored_shares not applicable"},
		{"shares not a number", `{"secret_shares":"five","secret_threshold":3}`, nil, 400, `"secret_shares"`},
		{"threshold a fraction", `{"secret_shares":5,"secret_threshold":2.5}`, nil, 400, `"secret_threshold"`},
		{"negative shares", `{"secret_shares":-1,"secret_threshold":3}`, nil, 400, `"secret_shares"`},
		{"malformed JSON", `{"secret_shares":`, nil, 400, "JSON"},
		{"core refuses", `{"secret_shares":5,"secret_threshold":3}`, core.ErrAlreadyInitialized, 400, "Vault is already initialized"},
		{"core refuses the numbers", `{"secret_shares":1,"secret_threshold":3}`, logical.InvalidRequest("invalid seal configuration: threshold cannot be larger than shares"), 400, "threshold cannot be larger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCore{err: tt.coreErr}
			s, _ := newTestServer(t, fc)
			wantError(t, do(t, s.Handler(), "PUT", "/v1/sys/init", tt.body), tt.wantStatus, tt.wantMsg)
			if tt.coreErr == nil && len(fc.initCalls) != 0 {
				t.Fatalf("Initialize was called for bad input: %+v", fc.initCalls)
			}
		})
	}
}

func TestUnseal(t *testing.T) {
	share := append(bytes.Repeat([]byte{0xab}, 32), 7)
	tests := []struct {
		name, body string
		want       []byte
	}{
		{"hex", `{"key":"` + hex.EncodeToString(share) + `"}`, share},
		{"base64", `{"key":"` + base64.StdEncoding.EncodeToString(share) + `"}`, share},
		{"capitalised field, as Vault accepts", `{"Key":"` + hex.EncodeToString(share) + `"}`, share},
		// 44 hex digits decode as hex to 22 bytes, a plausible share; Vault reads
		// them as hex too.
		{"hex-looking of share length", `{"key":"` + strings.Repeat("ab", 22) + `"}`, bytes.Repeat([]byte{0xab}, 22)},
		// Too short to be a share as hex, so it is read as base64.
		{"short hex-alphabet base64", `{"key":"abcd"}`, []byte{0x69, 0xb7, 0x1d}},
		{"reset false with a key", `{"key":"` + hex.EncodeToString(share) + `","reset":false,"migrate":false}`, share},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCore{initialized: true, sealed: true}
			s, logs := newTestServer(t, fc)
			w := do(t, s.Handler(), "PUT", "/v1/sys/unseal", tt.body)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
			if len(fc.shares) != 1 || !bytes.Equal(fc.shares[0], tt.want) {
				t.Fatalf("core got shares %x, want %x", fc.shares, tt.want)
			}
			body := decodeBody(t, w)
			if body["type"] != "shamir" || body["sealed"] != true || body["progress"] == nil || body["nonce"] == nil {
				t.Fatalf("body is not a seal status: %v", body)
			}
			if strings.Contains(logs.String(), hex.EncodeToString(share)) {
				t.Fatalf("the log holds the share")
			}
		})
	}
}

func TestUnsealBadInput(t *testing.T) {
	tests := []struct {
		name, body string
		sealed     bool
		coreErr    error
		wantStatus int
		wantMsg    string
	}{
		{"no body", ``, true, nil, 400, "'key' must be specified"},
		{"empty key", `{"key":""}`, true, nil, 400, "'key' must be specified"},
		{"key not a string", `{"key":12}`, true, nil, 400, "'key' must be specified"},
		{"not hex nor base64", `{"key":"not a key!"}`, true, nil, 400, "valid hex or base64"},
		{"bad reset", `{"reset":"perhaps"}`, true, nil, 400, `"reset"`},
		{"migrate", `{"key":"abcd","migrate":true}`, true, nil, 400, "seal migration is not supported"},
		{"reset while unsealed", `{"reset":true}`, false, nil, 400, "vault is unsealed"},
		{"malformed JSON", `{"key":`, true, nil, 400, "JSON"},
		{"repeated share (core's 400)", `{"key":"abcd"}`, true, logical.InvalidRequest("this key share was already provided"), 400, "already provided"},
		{"bad combination (core's 400)", `{"key":"abcd"}`, true, logical.InvalidRequest("the unseal key shares do not combine to the unseal key; unseal progress reset"), 400, "progress reset"},
		{"not initialised", `{"key":"abcd"}`, true, core.ErrNotInitialized, 400, "Vault is not initialized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCore{initialized: true, sealed: tt.sealed, err: tt.coreErr}
			s, _ := newTestServer(t, fc)
			wantError(t, do(t, s.Handler(), "PUT", "/v1/sys/unseal", tt.body), tt.wantStatus, tt.wantMsg)
			if tt.coreErr == nil && (len(fc.shares) != 0 || fc.resets != 0) {
				t.Fatalf("the core was called for bad input")
			}
		})
	}
}

func TestUnsealReset(t *testing.T) {
	fc := &fakeCore{initialized: true, sealed: true}
	s, _ := newTestServer(t, fc)
	do(t, s.Handler(), "PUT", "/v1/sys/unseal", `{"key":"abcd"}`)
	w := do(t, s.Handler(), "POST", "/v1/sys/unseal", `{"reset":true,"key":""}`)
	if w.Code != 200 || fc.resets != 1 {
		t.Fatalf("status %d resets %d", w.Code, fc.resets)
	}
	if body := decodeBody(t, w); body["progress"] != json.Number("0") {
		t.Fatalf("progress after reset = %v", body["progress"])
	}
}

func TestSeal(t *testing.T) {
	tests := []struct {
		name       string
		headers    []string
		coreErr    error
		wantStatus int
		wantToken  string
	}{
		{"no token", nil, nil, 403, ""},
		{"X-Vault-Token", []string{"X-Vault-Token", "hvs.root"}, nil, 204, "hvs.root"},
		{"Bearer", []string{"Authorization", "Bearer hvs.root"}, nil, 204, "hvs.root"},
		{"core refuses the token", []string{"X-Vault-Token", "hvs.weak"}, logical.ErrPermissionDenied, 403, "hvs.weak"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeCore{initialized: true, err: tt.coreErr}
			s, logs := newTestServer(t, fc)
			w := do(t, s.Handler(), "PUT", "/v1/sys/seal", "", tt.headers...)
			if tt.wantStatus == 403 {
				wantError(t, w, 403, "permission denied")
			} else if w.Code != tt.wantStatus {
				t.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
			if tt.wantToken == "" && len(fc.sealTokens) != 0 {
				t.Fatalf("Seal was called without a token")
			}
			if tt.wantToken != "" && (len(fc.sealTokens) != 1 || fc.sealTokens[0] != tt.wantToken) {
				t.Fatalf("Seal got tokens %q, want %q", fc.sealTokens, tt.wantToken)
			}
			// httptest requests come from 192.0.2.1: the core sees the caller's address.
			if tt.wantToken != "" && (len(fc.sealAddrs) != 1 || fc.sealAddrs[0] != "192.0.2.1") {
				t.Fatalf("Seal got addresses %q, want the caller's 192.0.2.1", fc.sealAddrs)
			}
			if tt.wantToken != "" && strings.Contains(logs.String(), tt.wantToken) {
				t.Fatalf("the log holds the token")
			}
		})
	}
}

// TestVaultAPIClient drives the sys endpoints with HashiCorp's own client
// library, so the field names and types decode the way the vault CLI needs.
func TestVaultAPIClient(t *testing.T) {
	share := append(bytes.Repeat([]byte{9}, 32), 1)
	fc := &fakeCore{
		initResult: &core.InitResult{Shares: [][]byte{share}, RootToken: "hvs.root"},
		sealed:     true,
	}
	s, _ := newTestServer(t, fc)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	conf := api.DefaultConfig()
	conf.Address = ts.URL
	conf.MaxRetries = 0 // a 503 while sealed is the expected answer, not one to retry
	client, err := api.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	client.ClearToken()
	sys := client.Sys()

	if ok, err := sys.InitStatus(); err != nil || ok {
		t.Fatalf("InitStatus = %v, %v", ok, err)
	}
	initResp, err := sys.Init(&api.InitRequest{SecretShares: 1, SecretThreshold: 1})
	if err != nil || initResp.RootToken != "hvs.root" || len(initResp.Keys) != 1 || initResp.Keys[0] != hex.EncodeToString(share) {
		t.Fatalf("Init = %+v, %v", initResp, err)
	}
	fc.mu.Lock()
	fc.initialized = true
	fc.mu.Unlock()

	health, err := sys.Health()
	if err != nil || !health.Initialized || !health.Sealed || health.Version != "0.1.0-test" || health.ServerTimeUTC != 1700000000 {
		t.Fatalf("Health = %+v, %v", health, err)
	}
	st, err := sys.Unseal(initResp.KeysB64[0])
	if err != nil || st.Type != "shamir" || st.T != 3 || st.N != 5 || st.Progress != 1 {
		t.Fatalf("Unseal = %+v, %v", st, err)
	}
	if !bytes.Equal(fc.shares[0], share) {
		t.Fatalf("core got share %x, want %x", fc.shares[0], share)
	}
	if st, err = sys.ResetUnsealProcess(); err != nil || st.Progress != 0 {
		t.Fatalf("ResetUnsealProcess = %+v, %v", st, err)
	}
	leader, err := sys.Leader()
	if err != nil || leader.HAEnabled || leader.IsSelf || !leader.ActiveTime.IsZero() {
		t.Fatalf("Leader = %+v, %v", leader, err)
	}
	if _, err := client.Logical().Read("secret/data/x"); err == nil || !strings.Contains(err.Error(), "Vault is sealed") {
		t.Fatalf("read while sealed: err = %v, want Vault is sealed", err)
	}

	fc.mu.Lock()
	fc.sealed = false
	fc.handle = answering(&logical.Response{
		Data:   map[string]any{"data": map[string]any{"password": "hunter2"}},
		Secret: &logical.Secret{LeaseID: "l1", TTL: 60e9, Renewable: true},
	}, nil).handle
	fc.mu.Unlock()
	client.SetToken("hvs.root")
	secret, err := client.Logical().Read("secret/data/x")
	if err != nil || secret.LeaseID != "l1" || secret.LeaseDuration != 60 || !secret.Renewable || secret.RequestID == "" {
		t.Fatalf("Read = %+v, %v", secret, err)
	}
	if pw := secret.Data["data"].(map[string]any)["password"]; pw != "hunter2" {
		t.Fatalf("password = %v", pw)
	}
	if err := sys.Seal(); err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if len(fc.sealTokens) != 1 || fc.sealTokens[0] != "hvs.root" {
		t.Fatalf("Seal tokens = %q", fc.sealTokens)
	}
}
