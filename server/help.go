package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/vaultd/vaultd/core"
)

// HelpCore answers path help; *core.Core satisfies it.
type HelpCore interface {
	Help(ctx context.Context, path, clientToken string) (string, error)
}

var _ HelpCore = (*core.Core)(nil)

// helpBody is Vault's answer to ?help=1 (what api.Client.Help decodes).
type helpBody struct {
	Help    string         `json:"help"`
	SeeAlso []string       `json:"see_also"`
	OpenAPI map[string]any `json:"openapi"`
}

// wantsHelp reports whether a GET asks for path help (?help=1).
func wantsHelp(r *http.Request) bool {
	if r.Method != http.MethodGet || r.URL.RawQuery == "" {
		return false
	}
	v := r.URL.Query().Get("help")
	ok, err := strconv.ParseBool(v)
	return err == nil && ok
}

// handleHelp serves GET <path>?help=1.
func (s *Server) handleHelp(w http.ResponseWriter, r *http.Request, path string) {
	hc, ok := s.core.(HelpCore)
	if !ok {
		respondError(w, http.StatusNotFound, "")
		return
	}
	text, err := hc.Help(r.Context(), path, clientToken(r.Header))
	if err != nil {
		respondErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, helpBody{Help: text})
}
