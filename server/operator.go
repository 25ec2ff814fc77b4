package server

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/vaultd/vaultd/core"
	"github.com/vaultd/vaultd/logical"
)

// Operator ceremony paths (after /v1/). As in Vault they need no token: the
// unseal key shares are the authority.
const (
	pathGenRootAttempt = "sys/generate-root/attempt"
	pathGenRootUpdate  = "sys/generate-root/update"
	pathRekeyInit      = "sys/rekey/init"
	pathRekeyUpdate    = "sys/rekey/update"
)

// OperatorCore is the part of the core that runs the root-generation and
// rekey ceremonies. *core.Core satisfies it; a Core that does not is
// answered 404 on those paths.
type OperatorCore interface {
	GenerateRootStatus(ctx context.Context) (*core.GenerateRootStatus, error)
	GenerateRootInit(ctx context.Context, otp, pgpKey string) (*core.GenerateRootStatus, error)
	GenerateRootUpdate(ctx context.Context, share []byte, nonce string) (*core.GenerateRootStatus, error)
	GenerateRootCancel(ctx context.Context) error
	RekeyStatus(ctx context.Context) (*core.RekeyStatus, error)
	RekeyInit(ctx context.Context, shares, threshold int) (*core.RekeyStatus, error)
	RekeyUpdate(ctx context.Context, share []byte, nonce string) (*core.RekeyStatus, *core.RekeyResult, error)
	RekeyCancel(ctx context.Context) error
}

var _ OperatorCore = (*core.Core)(nil)

// operatorRoutes adds the ceremony paths when the core runs them.
func (s *Server) operatorRoutes(r chi.Router) {
	oc, ok := s.core.(OperatorCore)
	if !ok {
		return
	}
	r.Handle("/v1/"+pathGenRootAttempt, s.genRootAttempt(oc))
	r.Handle("/v1/"+pathGenRootUpdate, s.genRootUpdate(oc))
	r.Handle("/v1/"+pathRekeyInit, s.rekeyInit(oc))
	r.Handle("/v1/"+pathRekeyUpdate, s.rekeyUpdate(oc))
}

func isWrite(r *http.Request) bool { return r.Method == http.MethodPut || r.Method == http.MethodPost }

// ceremony is what the start path of a ceremony does: GET reports its
// progress, PUT or POST starts one from the request body, DELETE cancels.
type ceremony struct {
	status func(ctx context.Context) (any, error)
	start  func(ctx context.Context, data map[string]any) (any, error)
	cancel func(ctx context.Context) error
}

func (s *Server) ceremonyHandler(c ceremony) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		switch {
		case r.Method == http.MethodGet:
			st, err := c.status(ctx)
			respondJSONOr(w, st, err)
		case isWrite(r):
			data, err := s.readJSONBody(w, r)
			if err != nil {
				respondErr(w, err)
				return
			}
			st, err := c.start(ctx, data)
			respondJSONOr(w, st, err)
		case r.Method == http.MethodDelete:
			if err := c.cancel(ctx); err != nil {
				respondErr(w, err)
				return
			}
			respondNoContent(w)
		default:
			respondError(w, http.StatusMethodNotAllowed, "")
		}
	}
}

func (s *Server) genRootAttempt(oc OperatorCore) http.HandlerFunc {
	return s.ceremonyHandler(ceremony{
		status: func(ctx context.Context) (any, error) { return oc.GenerateRootStatus(ctx) },
		start: func(ctx context.Context, data map[string]any) (any, error) {
			otp, err := stringParam(data, "otp")
			if err != nil {
				return nil, err
			}
			pgp, err := stringParam(data, "pgp_key")
			if err != nil {
				return nil, err
			}
			return oc.GenerateRootInit(ctx, otp, pgp)
		},
		cancel: oc.GenerateRootCancel,
	})
}

func (s *Server) genRootUpdate(oc OperatorCore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		share, nonce, ok := s.shareAndNonce(w, r)
		if !ok {
			return
		}
		st, err := oc.GenerateRootUpdate(r.Context(), share, nonce)
		respondJSONOr(w, st, err)
	}
}

func (s *Server) rekeyInit(oc OperatorCore) http.HandlerFunc {
	return s.ceremonyHandler(ceremony{
		status: func(ctx context.Context) (any, error) { return oc.RekeyStatus(ctx) },
		start: func(ctx context.Context, data map[string]any) (any, error) {
			shares, threshold, err := parseRekeyInit(data)
			if err != nil {
				return nil, err
			}
			return oc.RekeyInit(ctx, shares, threshold)
		},
		cancel: oc.RekeyCancel,
	})
}

// parseRekeyInit reads secret_shares and secret_threshold and refuses the
// options vaultd does not support (PGP-encrypted shares, their backup,
// verification), which the vault CLI sends empty when unused.
func parseRekeyInit(data map[string]any) (int, int, error) {
	for _, name := range []string{"pgp_keys", "backup", "require_verification", "stored_shares"} {
		if isSet(data[name]) {
			return 0, 0, logical.InvalidRequest("parameter %s is not supported by vaultd", name)
		}
	}
	shares, err := intParam(data, "secret_shares")
	if err != nil {
		return 0, 0, err
	}
	threshold, err := intParam(data, "secret_threshold")
	if err != nil {
		return 0, 0, err
	}
	return shares, threshold, nil
}

func (s *Server) rekeyUpdate(oc OperatorCore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		share, nonce, ok := s.shareAndNonce(w, r)
		if !ok {
			return
		}
		st, res, err := oc.RekeyUpdate(r.Context(), share, nonce)
		if err != nil {
			respondErr(w, err)
			return
		}
		if res == nil {
			writeJSON(w, http.StatusOK, st)
			return
		}
		res.Keys = make([]string, 0, len(res.Shares))
		res.KeysBase64 = make([]string, 0, len(res.Shares))
		for _, sh := range res.Shares {
			res.Keys = append(res.Keys, hex.EncodeToString(sh))
			res.KeysBase64 = append(res.KeysBase64, base64.StdEncoding.EncodeToString(sh))
		}
		writeJSON(w, http.StatusOK, res)
	}
}

// shareAndNonce reads {"key": share, "nonce": …} from a PUT body,
// answering the error itself when it cannot.
func (s *Server) shareAndNonce(w http.ResponseWriter, r *http.Request) ([]byte, string, bool) {
	if !isWrite(r) {
		respondError(w, http.StatusMethodNotAllowed, "")
		return nil, "", false
	}
	data, err := s.readJSONBody(w, r)
	if err == nil {
		var key, nonce string
		if key, err = stringParam(data, "key"); err == nil && key == "" {
			err = logical.InvalidRequest("'key' must be specified in request body as JSON")
		}
		if err == nil {
			nonce, err = stringParam(data, "nonce")
		}
		var share []byte
		if err == nil {
			share, err = decodeShare(strings.TrimSpace(key))
		}
		if err == nil {
			return share, nonce, true
		}
	}
	respondErr(w, err)
	return nil, "", false
}

// stringParam reads an optional string parameter.
func stringParam(data map[string]any, name string) (string, error) {
	raw, ok := data[name]
	if !ok || raw == nil {
		return "", nil
	}
	v, err := logical.ParseString(raw)
	if err != nil {
		return "", logical.InvalidRequest("error converting input for field %q: %v", name, err)
	}
	return v, nil
}

// respondJSONOr answers body with 200, or the error.
func respondJSONOr(w http.ResponseWriter, body any, err error) {
	if err != nil {
		respondErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, body)
}
