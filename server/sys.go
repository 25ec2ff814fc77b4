package server

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/vaultd/vaultd/core"
	"github.com/vaultd/vaultd/logical"
)

// Bounds on the decoded length of an unseal key share given in hex: a
// 16- to 32-byte key plus the one-byte x coordinate, as Vault checks it. A
// string outside them (or not hex at all) is read as base64 instead.
const (
	minShareLen = 16
	maxShareLen = 32 + 1
)

// initStatusBody answers GET sys/init.
type initStatusBody struct {
	Initialized bool `json:"initialized"`
}

// initBody answers PUT sys/init.
type initBody struct {
	Keys       []string `json:"keys"`
	KeysBase64 []string `json:"keys_base64"`
	RootToken  string   `json:"root_token"`
}

// leaderBody answers GET sys/leader: vaultd has no HA, so this is what Vault
// answers without an HA backend.
type leaderBody struct {
	HAEnabled                bool   `json:"ha_enabled"`
	IsSelf                   bool   `json:"is_self"`
	ActiveTime               string `json:"active_time"`
	LeaderAddress            string `json:"leader_address"`
	LeaderClusterAddress     string `json:"leader_cluster_address"`
	PerfStandby              bool   `json:"performance_standby"`
	PerfStandbyLastRemoteWAL uint64 `json:"performance_standby_last_remote_wal"`
}

// zeroTime is Go's zero time.Time as Vault serialises it.
const zeroTime = "0001-01-01T00:00:00Z"

// handleInit serves GET sys/init (is it initialised?) and PUT|POST sys/init
// (run the init ceremony).
func (s *Server) handleInit(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		ok, err := s.core.Initialized(r.Context())
		if err != nil {
			respondErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, initStatusBody{Initialized: ok})
	case http.MethodPut, http.MethodPost:
		s.handleInitPut(w, r)
	default:
		respondError(w, http.StatusMethodNotAllowed, "")
	}
}

func (s *Server) handleInitPut(w http.ResponseWriter, r *http.Request) {
	data, err := s.readJSONBody(w, r)
	if err != nil {
		respondErr(w, err)
		return
	}
	params, err := parseInitParams(data)
	if err != nil {
		respondErr(w, err)
		return
	}
	res, err := s.core.Initialize(r.Context(), params)
	if err != nil {
		respondErr(w, err)
		return
	}
	body := initBody{
		Keys:       make([]string, 0, len(res.Shares)),
		KeysBase64: make([]string, 0, len(res.Shares)),
		RootToken:  res.RootToken,
	}
	for _, share := range res.Shares {
		body.Keys = append(body.Keys, hex.EncodeToString(share))
		body.KeysBase64 = append(body.KeysBase64, base64.StdEncoding.EncodeToString(share))
	}
	writeJSON(w, http.StatusOK, body)
}

// parseInitParams reads secret_shares and secret_threshold leniently and
// refuses the parameters Vault accepts that vaultd does not support (PGP
// encryption of the shares or root token, recovery keys, stored shares).
// The vault CLI sends all of them, empty, so an empty value counts as unset.
func parseInitParams(data map[string]any) (core.InitParams, error) {
	var p core.InitParams
	for _, name := range []string{"pgp_keys", "root_token_pgp_key"} {
		if isSet(data[name]) {
			return p, logical.InvalidRequest("parameter %s is not supported: vaultd does not PGP-encrypt keys or tokens", name)
		}
	}
	var notApplicable []string
	for _, name := range []string{"stored_shares", "recovery_shares", "recovery_threshold", "recovery_pgp_keys"} {
		if isSet(data[name]) {
			notApplicable = append(notApplicable, name)
		}
	}
	if len(notApplicable) > 0 {
		return p, logical.InvalidRequest("parameters %s not applicable to seal type shamir", strings.Join(notApplicable, ","))
	}
	shares, err := intParam(data, "secret_shares")
	if err != nil {
		return p, err
	}
	threshold, err := intParam(data, "secret_threshold")
	if err != nil {
		return p, err
	}
	p.SecretShares, p.SecretThreshold = shares, threshold
	return p, nil
}

// intParam reads an integer parameter that fits an int; absent is zero.
func intParam(data map[string]any, name string) (int, error) {
	raw, ok := data[name]
	if !ok || raw == nil {
		return 0, nil
	}
	n, err := logical.ParseInt(raw)
	if err != nil {
		return 0, logical.InvalidRequest("error converting input for field %q: %v", name, err)
	}
	if n < 0 || n > 1<<16 {
		return 0, logical.InvalidRequest("invalid value for field %q: %d is out of range", name, n)
	}
	return int(n), nil
}

// isSet reports whether a decoded JSON value is other than null, "", 0,
// false or an empty list.
func isSet(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case bool:
		return x
	case json.Number:
		return x.String() != "0"
	case []any:
		return len(x) > 0
	}
	return true
}

// handleUnseal serves PUT|POST sys/unseal: {"key": share} (hex or base64)
// adds a share, {"reset": true} discards the shares given so far; both
// answer with the seal status.
func (s *Server) handleUnseal(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut && r.Method != http.MethodPost {
		respondError(w, http.StatusMethodNotAllowed, "")
		return
	}
	data, err := s.readJSONBody(w, r)
	if err != nil {
		respondErr(w, err)
		return
	}
	key, reset, err := parseUnseal(data)
	if err != nil {
		respondErr(w, err)
		return
	}
	var status *core.SealStatus
	if reset {
		if !s.core.Sealed() {
			respondError(w, http.StatusBadRequest, "vault is unsealed")
			return
		}
		status, err = s.core.ResetUnseal(r.Context())
	} else {
		status, err = s.core.Unseal(r.Context(), key)
	}
	if err != nil {
		respondErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, status)
}

// parseUnseal reads the unseal body. Vault matches its field names without
// regard to case, so this does too.
func parseUnseal(data map[string]any) (share []byte, reset bool, err error) {
	var keyRaw, resetRaw, migrateRaw any
	for k, v := range data {
		switch {
		case strings.EqualFold(k, "key"):
			keyRaw = v
		case strings.EqualFold(k, "reset"):
			resetRaw = v
		case strings.EqualFold(k, "migrate"):
			migrateRaw = v
		}
	}
	migrate, err := optionalBool("migrate", migrateRaw)
	if err != nil {
		return nil, false, err
	}
	if migrate {
		return nil, false, logical.InvalidRequest("seal migration is not supported")
	}
	if reset, err = optionalBool("reset", resetRaw); err != nil {
		return nil, false, err
	}
	if reset {
		return nil, true, nil
	}
	key, _ := keyRaw.(string)
	if key == "" {
		return nil, false, logical.InvalidRequest("'key' must be specified in request body as JSON, or 'reset' set to true")
	}
	share, err = decodeShare(strings.TrimSpace(key))
	if err != nil {
		return nil, false, err
	}
	return share, false, nil
}

// optionalBool reads a boolean parameter leniently; absent is false.
func optionalBool(name string, raw any) (bool, error) {
	if raw == nil {
		return false, nil
	}
	b, err := logical.ParseBool(raw)
	if err != nil {
		return false, logical.InvalidRequest("error converting input for field %q: %v", name, err)
	}
	return b, nil
}

// decodeShare reads a share as hex when it decodes to a plausible share
// length, else as standard base64 (so a base64 string made only of hex
// digits is still read as base64, as Vault does).
func decodeShare(key string) ([]byte, error) {
	if b, err := hex.DecodeString(key); err == nil && len(b) >= minShareLen && len(b) <= maxShareLen {
		return b, nil
	}
	b, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		return nil, logical.InvalidRequest("'key' must be a valid hex or base64 string")
	}
	return b, nil
}

// handleSealStatus serves GET sys/seal-status.
func (s *Server) handleSealStatus(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		respondError(w, http.StatusMethodNotAllowed, "")
		return
	}
	status, err := s.core.SealStatus(r.Context())
	if err != nil {
		respondErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, status)
}

// handleSeal serves PUT|POST sys/seal; the core checks that the token may
// seal. A request without a token is refused here.
func (s *Server) handleSeal(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut && r.Method != http.MethodPost {
		respondError(w, http.StatusMethodNotAllowed, "")
		return
	}
	token := clientToken(r.Header)
	if token == "" {
		respondErr(w, logical.ErrPermissionDenied)
		return
	}
	caller := &logical.Request{ID: newRequestID(), ClientToken: token, Headers: safeHeaders(r)}
	caller.RemoteAddr, caller.RemotePort = remoteAddr(r.RemoteAddr)
	if err := s.core.Seal(r.Context(), caller); err != nil {
		respondErr(w, err)
		return
	}
	respondNoContent(w)
}

// handleLeader serves GET sys/leader. Without HA, Vault answers this even
// while sealed; `vault status` calls it after seal-status.
func (s *Server) handleLeader(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		respondError(w, http.StatusMethodNotAllowed, "")
		return
	}
	writeJSON(w, http.StatusOK, leaderBody{ActiveTime: zeroTime})
}
