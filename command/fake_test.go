package command

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// fakeVault answers the few endpoints the client subcommands call
// (sys/seal-status, sys/leader, sys/init, sys/unseal, sys/seal) with canned
// but realistic JSON, shaped as Vault answers them, and keeps just enough
// state for an unseal ceremony to progress.
//
// The tests that use it are unit tests of the CLI's flag parsing, output
// formatting and exit codes. They do not exercise vaultd's server; the
// end-to-end tests (walkthrough_test.go, golden_test.go and the others
// named *_test.go in package command_test) run the built binary against a
// real one.
type fakeVault struct {
	t *testing.T

	mu          sync.Mutex
	initialized bool
	sealed      bool
	threshold   int
	shares      int
	validKeys   []string // shares that unseal
	given       []string // shares given in this attempt
	rootToken   string
	// leaderSealedError makes sys/leader answer 503 "Vault is sealed"
	// while sealed, as a server that gates every other path would.
	leaderSealedError bool

	initRequests []map[string]any
	unsealBodies []map[string]any
	sealTokens   []string
}

func newFakeVault(t *testing.T) (*fakeVault, *httptest.Server) {
	f := &fakeVault{t: t, sealed: true, rootToken: "hvs.FAKEROOTTOKEN0123456789ab"}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// initialise puts the fake in the state left by `operator init` with the
// given shares, still sealed.
func (f *fakeVault) initialise(shares, threshold int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.initialiseLocked(shares, threshold)
}

func (f *fakeVault) initialiseLocked(shares, threshold int) {
	f.initialized, f.sealed = true, true
	f.shares, f.threshold = shares, threshold
	f.validKeys = nil
	for i := range shares {
		f.validKeys = append(f.validKeys, fmt.Sprintf("%066x", i+1))
	}
}

func (f *fakeVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case r.URL.Path == "/v1/sys/seal-status" && r.Method == http.MethodGet:
		f.reply(w, http.StatusOK, f.sealStatus())
	case r.URL.Path == "/v1/sys/leader" && r.Method == http.MethodGet:
		if f.sealed && f.leaderSealedError {
			f.reply(w, http.StatusServiceUnavailable, map[string]any{"errors": []string{"Vault is sealed"}})
			return
		}
		f.reply(w, http.StatusOK, map[string]any{
			"ha_enabled": false, "is_self": false, "active_time": "0001-01-01T00:00:00Z",
			"leader_address": "", "leader_cluster_address": "",
			"performance_standby": false, "performance_standby_last_remote_wal": 0,
		})
	case r.URL.Path == "/v1/sys/init" && r.Method == http.MethodGet:
		f.reply(w, http.StatusOK, map[string]any{"initialized": f.initialized})
	case r.URL.Path == "/v1/sys/init" && (r.Method == http.MethodPut || r.Method == http.MethodPost):
		f.handleInit(w, r)
	case r.URL.Path == "/v1/sys/unseal" && (r.Method == http.MethodPut || r.Method == http.MethodPost):
		f.handleUnseal(w, r)
	case r.URL.Path == "/v1/sys/seal" && (r.Method == http.MethodPut || r.Method == http.MethodPost):
		token := r.Header.Get("X-Vault-Token")
		f.sealTokens = append(f.sealTokens, token)
		if token != f.rootToken {
			f.reply(w, http.StatusForbidden, map[string]any{"errors": []string{"permission denied"}})
			return
		}
		f.sealed = true
		f.given = nil
		w.WriteHeader(http.StatusNoContent)
	default:
		f.reply(w, http.StatusNotFound, map[string]any{"errors": []string{}})
	}
}

func (f *fakeVault) reply(w http.ResponseWriter, code int, body any) {
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		f.t.Errorf("fake: encoding reply: %v", err)
	}
}

func (f *fakeVault) sealStatus() map[string]any {
	st := map[string]any{
		"type": "shamir", "initialized": f.initialized, "sealed": f.sealed,
		"t": f.threshold, "n": f.shares, "progress": len(f.given), "nonce": "",
		"version": "0.1.0", "build_date": "2025-06-01T12:00:00Z", "migration": false,
		"recovery_seal": false, "storage_type": "bbolt",
	}
	if len(f.given) > 0 {
		st["nonce"] = "9e5a27cd-0a31-4d1b-9d6f-2f1c0c5e8a11"
	}
	if !f.sealed {
		st["cluster_name"] = "vault-cluster-5f3ac1de"
		st["cluster_id"] = "0c4b7e59-8f0e-5d36-a1c2-77f5d8e1b0aa"
	}
	return st
}

func (f *fakeVault) decode(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.reply(w, http.StatusBadRequest, map[string]any{"errors": []string{"failed to parse JSON input: " + err.Error()}})
		return nil, false
	}
	return body, true
}

func (f *fakeVault) handleInit(w http.ResponseWriter, r *http.Request) {
	body, ok := f.decode(w, r)
	if !ok {
		return
	}
	f.initRequests = append(f.initRequests, body)
	if f.initialized {
		f.reply(w, http.StatusBadRequest, map[string]any{"errors": []string{"Vault is already initialized"}})
		return
	}
	shares, _ := body["secret_shares"].(float64)
	threshold, _ := body["secret_threshold"].(float64)
	if threshold > shares || shares < 1 {
		f.reply(w, http.StatusBadRequest, map[string]any{"errors": []string{"invalid seal configuration: threshold cannot be larger than shares"}})
		return
	}
	f.initialiseLocked(int(shares), int(threshold))
	var b64 []string
	for _, k := range f.validKeys {
		raw, _ := hex.DecodeString(k)
		b64 = append(b64, base64.StdEncoding.EncodeToString(raw))
	}
	f.reply(w, http.StatusOK, map[string]any{"keys": f.validKeys, "keys_base64": b64, "root_token": f.rootToken})
}

func (f *fakeVault) handleUnseal(w http.ResponseWriter, r *http.Request) {
	body, ok := f.decode(w, r)
	if !ok {
		return
	}
	f.unsealBodies = append(f.unsealBodies, body)
	if reset, _ := body["reset"].(bool); reset {
		f.given = nil
		f.reply(w, http.StatusOK, f.sealStatus())
		return
	}
	key, _ := body["key"].(string)
	if !f.initialized {
		f.reply(w, http.StatusBadRequest, map[string]any{"errors": []string{"Vault is not initialized"}})
		return
	}
	if !slices.Contains(f.validKeys, key) {
		f.given = nil
		f.reply(w, http.StatusBadRequest, map[string]any{"errors": []string{"'key' must be a valid hex or base64 string"}})
		return
	}
	if f.sealed {
		f.given = append(f.given, key)
		if len(f.given) >= f.threshold {
			f.sealed, f.given = false, nil
		}
	}
	f.reply(w, http.StatusOK, f.sealStatus())
}
