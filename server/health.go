package server

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/vaultd/vaultd/logical"
)

// Vault's default sys/health status codes.
const (
	healthActive      = http.StatusOK
	healthStandby     = http.StatusTooManyRequests
	healthPerfStandby = 473
	healthDRSecondary = 472
	healthUninit      = http.StatusNotImplemented
	healthSealed      = http.StatusServiceUnavailable
)

// healthBody is Vault's sys/health answer. vaultd has no HA and no
// replication, so standby is always false and the replication modes are
// "disabled".
type healthBody struct {
	Initialized                bool   `json:"initialized"`
	Sealed                     bool   `json:"sealed"`
	Standby                    bool   `json:"standby"`
	PerformanceStandby         bool   `json:"performance_standby"`
	ReplicationPerformanceMode string `json:"replication_performance_mode"`
	ReplicationDRMode          string `json:"replication_dr_mode"`
	ServerTimeUTC              int64  `json:"server_time_utc"`
	Version                    string `json:"version"`
	Enterprise                 bool   `json:"enterprise"`
	ClusterName                string `json:"cluster_name,omitempty"`
	ClusterID                  string `json:"cluster_id,omitempty"`
	EchoDurationMillis         int64  `json:"echo_duration_ms"`
	ClockSkewMillis            int64  `json:"clock_skew_ms"`
	ReplicationPrimaryCanary   int64  `json:"replication_primary_canary_age_ms"`
}

// healthCodes are the status codes a sys/health request asked for.
type healthCodes struct {
	active, standby, perfStandby, uninit, sealed int
	standbyOK, perfStandbyOK                     bool
}

// handleHealth serves GET and HEAD sys/health with Vault's status codes
// (200 active, 429 standby, 501 uninitialised, 503 sealed) and its query
// overrides. HEAD answers the status alone.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		respondError(w, http.StatusMethodNotAllowed, "")
		return
	}
	codes, err := parseHealthCodes(r.URL.Query())
	if err != nil {
		s.respondHealthError(w, r, err)
		return
	}
	status, err := s.core.SealStatus(r.Context())
	if err != nil {
		s.respondHealthError(w, r, err)
		return
	}
	standby := s.ha != nil && s.ha.Standby()
	code := codes.active
	switch {
	case !status.Initialized:
		code = codes.uninit
	case status.Sealed:
		code = codes.sealed
	case standby && !codes.standbyOK:
		code = codes.standby
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(code)
		return
	}
	body := healthBody{
		Initialized:                status.Initialized,
		Sealed:                     status.Sealed,
		Standby:                    standby,
		ReplicationPerformanceMode: "disabled",
		ReplicationDRMode:          "disabled",
		ServerTimeUTC:              s.clock().UTC().Unix(),
		Version:                    status.Version,
	}
	if !status.Sealed { // Vault names the cluster only once unsealed
		body.ClusterName, body.ClusterID = status.ClusterName, status.ClusterID
	}
	writeJSON(w, code, body)
}

func (s *Server) respondHealthError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Method == http.MethodHead {
		w.WriteHeader(logical.StatusOf(err))
		return
	}
	respondErr(w, err)
}

// parseHealthCodes reads standbyok, perfstandbyok and the *code overrides.
// The standby and DR codes are validated and unused: vaultd is never a
// standby or a DR secondary.
func parseHealthCodes(q url.Values) (healthCodes, error) {
	c := healthCodes{}
	var err error
	if c.standbyOK, err = boolQuery(q, "standbyok"); err != nil {
		return c, err
	}
	if c.perfStandbyOK, err = boolQuery(q, "perfstandbyok"); err != nil {
		return c, err
	}
	var drSecondary int
	for _, f := range []struct {
		name string
		dst  *int
		def  int
	}{
		{"activecode", &c.active, healthActive},
		{"standbycode", &c.standby, healthStandby},
		{"performancestandbycode", &c.perfStandby, healthPerfStandby},
		{"drsecondarycode", &drSecondary, healthDRSecondary},
		{"uninitcode", &c.uninit, healthUninit},
		{"sealedcode", &c.sealed, healthSealed},
	} {
		if *f.dst, err = codeQuery(q, f.name, f.def); err != nil {
			return c, err
		}
	}
	return c, nil
}

func boolQuery(q url.Values, name string) (bool, error) {
	v, ok := q[name]
	if !ok || len(v) == 0 {
		return false, nil
	}
	if v[0] == "" { // "?standbyok" alone is false, as Vault's weak decoding has it
		return false, nil
	}
	b, err := strconv.ParseBool(v[0])
	if err != nil {
		return false, logical.InvalidRequest("bad value for %s parameter: %q is not a boolean", name, v[0])
	}
	return b, nil
}

// codeQuery reads a status-code override; it must be a status an HTTP
// response can carry with a body (200-599).
func codeQuery(q url.Values, name string, def int) (int, error) {
	v, ok := q[name]
	if !ok || len(v) == 0 {
		return def, nil
	}
	code, err := strconv.Atoi(v[0])
	if err != nil || code < 200 || code > 599 {
		return 0, logical.InvalidRequest("bad value for %s parameter: %q is not an HTTP status code between 200 and 599", name, v[0])
	}
	return code, nil
}
