package server

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// pathMetrics is served by the server: its Prometheus answer is not JSON.
const pathMetrics = "sys/metrics"

// MetricsSource is the node's metrics: the sink request timings go to and
// what GET sys/metrics renders.
type MetricsSource interface {
	logical.MetricSink
	// PrometheusEnabled reports whether ?format=prometheus is served.
	PrometheusEnabled() bool
	// WritePrometheus writes the text format and returns its content type.
	WritePrometheus(w io.Writer) (string, error)
	// JSON is the JSON answer.
	JSON() (map[string]any, error)
}

// observeRequest records one request that reached the core: in all
// (vault_core_handle_request) and by operation and mount
// (vault_route_<operation>_<mount>, the mount's slashes as "-", as Vault
// names it). The path below the mount is never recorded.
func (s *Server) observeRequest(req *logical.Request, start time.Time) {
	if s.metrics == nil {
		return
	}
	s.metrics.MeasureSince([]string{"core", "handle_request"}, start)
	if req.MountPoint != "" {
		s.metrics.MeasureSince([]string{"route", string(req.Operation), strings.ReplaceAll(req.MountPoint, "/", "-")}, start)
	}
}

// handleMetrics serves GET sys/metrics: the Prometheus text format with
// ?format=prometheus, else JSON. Unless the listener allows unauthenticated
// access, the token must be allowed to read sys/metrics.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		respondError(w, http.StatusMethodNotAllowed, "")
		return
	}
	if s.metrics == nil {
		respondError(w, http.StatusNotFound, "")
		return
	}
	if !s.unauthMetrics {
		// Only a listener open to all serves metrics while sealed (so
		// that a sealed node can be seen and alerted on).
		if s.core.Sealed() {
			respondError(w, http.StatusServiceUnavailable, logical.ErrSealed.Error())
			return
		}
		req, err := s.buildRequest(w, r, pathMetrics)
		if err != nil {
			respondErr(w, err)
			return
		}
		if _, err := s.core.HandleRequest(r.Context(), req); err != nil {
			respondErr(w, err)
			return
		}
	}
	if r.URL.Query().Get("format") == "prometheus" {
		if !s.metrics.PrometheusEnabled() {
			respondError(w, http.StatusBadRequest, "prometheus is not enabled")
			return
		}
		var sb strings.Builder
		ctype, err := s.metrics.WritePrometheus(&sb)
		if err != nil {
			respondErr(w, err)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, sb.String())
		return
	}
	body, err := s.metrics.JSON()
	if err != nil {
		respondErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, body)
}
