package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/vaultd/vaultd/logical"
)

// errorBody is Vault's error format. An empty list is how Vault answers a
// read of nothing (404) and a few bare status errors.
type errorBody struct {
	Errors []string `json:"errors"`
}

// respondError writes {"errors":[msg]} (or {"errors":[]} when msg is empty)
// with the given status. The common headers are already set.
func respondError(w http.ResponseWriter, status int, msg string) {
	body := errorBody{Errors: []string{}}
	if msg != "" {
		body.Errors = append(body.Errors, msg)
	}
	writeJSON(w, status, body)
}

// respondErr answers an error from the core or a parser: a
// logical.CodedError's message with its status (bad input, permission
// denied, sealed...). Any other error is an internal failure whose text
// may name files, storage limits or other internals: the client gets 500
// "internal error" and the details go to the server log with the request
// line.
func respondErr(w http.ResponseWriter, err error) {
	var coded *logical.CodedError
	if errors.As(err, &coded) {
		respondError(w, coded.Status, err.Error())
		return
	}
	if rec, ok := w.(internalErrorRecorder); ok {
		rec.recordInternalError(err)
	}
	respondError(w, http.StatusInternalServerError, "internal error")
}

// internalErrorRecorder keeps the internal error behind a 500 for the
// request log.
type internalErrorRecorder interface {
	recordInternalError(err error)
}

// writeJSON writes body as JSON with the given status. Encoding finishes
// before the status is written, so a body that cannot be encoded (a
// backend bug) is a clean 500; a failed write to the connection has no one
// to answer and is dropped.
func writeJSON(w http.ResponseWriter, status int, body any) {
	hw := &headerOnWrite{w: w, status: status}
	if err := json.NewEncoder(hw).Encode(body); err != nil && !hw.wrote {
		failEncoding(w, err)
	}
}

// respondNoContent answers 204; the common headers (application/json,
// Cache-Control: no-store) are already set.
func respondNoContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}

// envelope is Vault's response envelope, field for field.
type envelope struct {
	RequestID     string         `json:"request_id"`
	LeaseID       string         `json:"lease_id"`
	Renewable     bool           `json:"renewable"`
	LeaseDuration int64          `json:"lease_duration"`
	Data          map[string]any `json:"data"`
	WrapInfo      *wrapInfoBody  `json:"wrap_info"`
	Warnings      []string       `json:"warnings"`
	Auth          *authBody      `json:"auth"`
	MountType     string         `json:"mount_type"`
}

// authBody is the envelope's "auth" object as Vault renders it.
type authBody struct {
	ClientToken      string            `json:"client_token"`
	Accessor         string            `json:"accessor"`
	Policies         []string          `json:"policies"`
	TokenPolicies    []string          `json:"token_policies,omitempty"`
	IdentityPolicies []string          `json:"identity_policies,omitempty"`
	Metadata         map[string]string `json:"metadata"`
	LeaseDuration    int64             `json:"lease_duration"`
	Renewable        bool              `json:"renewable"`
	EntityID         string            `json:"entity_id"`
	TokenType        string            `json:"token_type"`
	Orphan           bool              `json:"orphan"`
	MFARequirement   *struct{}         `json:"mfa_requirement"`
	NumUses          int               `json:"num_uses"`
}

// newEnvelope renders resp for req. A wrapped response shows only its
// wrap_info (and warnings).
func newEnvelope(req *logical.Request, resp *logical.Response) *envelope {
	if resp.WrapInfo != nil {
		return &envelope{RequestID: req.ID, WrapInfo: newWrapInfoBody(resp.WrapInfo), Warnings: resp.Warnings, MountType: req.MountType}
	}
	env := &envelope{
		RequestID: req.ID,
		Data:      resp.Data,
		Warnings:  resp.Warnings,
		MountType: req.MountType,
	}
	if s := resp.Secret; s != nil {
		env.LeaseID = s.LeaseID
		env.Renewable = s.Renewable
		env.LeaseDuration = int64(s.TTL.Seconds())
	}
	if a := resp.Auth; a != nil {
		tokenType := string(a.TokenType)
		if tokenType == "" {
			tokenType = string(logical.TokenTypeService)
		}
		env.Auth = &authBody{
			ClientToken:   a.ClientToken,
			Accessor:      a.Accessor,
			Policies:      a.Policies,
			TokenPolicies: a.TokenPolicies,
			Metadata:      a.Metadata,
			LeaseDuration: int64(a.TTL.Seconds()),
			Renewable:     a.Renewable,
			EntityID:      a.EntityID,
			TokenType:     tokenType,
			Orphan:        a.Orphan,
			NumUses:       a.NumUses,
		}
		env.Auth.IdentityPolicies = a.IdentityPolicies
	}
	return env
}

// respondLogical answers the core's result for req, as Vault does:
//   - an error: {"errors":[msg]} with logical.StatusOf(err);
//   - no response: 404 {"errors":[]} for read and list, 204 otherwise;
//   - a redirect: 307 to resp.Redirect;
//   - a list with no keys: 404 {"errors":[]};
//   - resp.Raw: resp.Data as the whole body;
//   - otherwise the envelope, with resp.StatusCode when set, else 200;
//     on a few older sys/ paths the data keys are at the top level too.
func respondLogical(w http.ResponseWriter, req *logical.Request, resp *logical.Response, err error) {
	if err != nil {
		respondErr(w, err)
		return
	}
	if resp == nil {
		switch req.Operation {
		case logical.ReadOperation, logical.ListOperation:
			respondError(w, http.StatusNotFound, "")
		default:
			respondNoContent(w)
		}
		return
	}
	if resp.Redirect != "" {
		w.Header().Set("Location", resp.Redirect)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	if req.Operation == logical.ListOperation && resp.WrapInfo == nil {
		if status := listStatus(resp); status != 0 {
			respondError(w, status, "")
			return
		}
	}
	status := http.StatusOK
	if resp.StatusCode != 0 {
		status = resp.StatusCode
	}
	if status < 200 || status > 599 {
		respondError(w, http.StatusInternalServerError, "invalid response status from backend")
		return
	}
	if resp.Raw {
		if resp.Secret != nil || resp.Auth != nil {
			respondError(w, http.StatusInternalServerError, "raw responses cannot contain secrets or auth")
			return
		}
		writeData(w, status, resp.Data)
		return
	}
	env := newEnvelope(req, resp)
	if len(env.Data) > 0 && injectsData(req.Path) {
		body, err := withTopLevelData(env)
		if err != nil {
			respondError(w, http.StatusInternalServerError, "failed to encode the response")
			return
		}
		writeJSON(w, status, body)
		return
	}
	writeEnvelope(w, status, env)
}

// listStatus applies Vault's rule for list answers: 404 when there is
// nothing to list (no data, or an empty "keys"), 500 when "keys" is not a
// list of strings, 0 when the response should be sent as is.
func listStatus(resp *logical.Response) int {
	if len(resp.Data) == 0 {
		if len(resp.Warnings) > 0 {
			return 0
		}
		return http.StatusNotFound
	}
	raw, ok := resp.Data["keys"]
	if !ok || raw == nil {
		return 0
	}
	switch keys := raw.(type) {
	case []string:
		if len(keys) == 0 {
			return http.StatusNotFound
		}
	case []any:
		if len(keys) == 0 {
			return http.StatusNotFound
		}
		for _, k := range keys {
			if _, ok := k.(string); !ok {
				return http.StatusInternalServerError
			}
		}
	default:
		return http.StatusInternalServerError
	}
	return 0
}
