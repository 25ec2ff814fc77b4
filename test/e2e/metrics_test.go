package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/vaulttest"
)

// scrape fetches sys/metrics?format=prometheus with c's token and parses it
// with Prometheus' own text parser.
func scrape(t *testing.T, c *api.Client) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.Address()+"/v1/sys/metrics?format=prometheus", nil)
	must(t, err, "request")
	if tok := c.Token(); tok != "" {
		req.Header.Set("X-Vault-Token", tok)
	}
	resp, err := c.CloneConfig().HttpClient.Do(req)
	must(t, err, "scrape")
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	must(t, err, "read scrape")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape: %d %s %.300s", resp.StatusCode, resp.Header.Get("Content-Type"), text)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(text)))
	must(t, err, "parse the Prometheus text")
	return families, string(text)
}

// metricValue sums a family's counters, gauges or summary sample counts
// (0 when absent).
func metricValue(families map[string]*dto.MetricFamily, name string) float64 {
	f := families[name]
	if f == nil {
		return 0
	}
	var sum float64
	for _, m := range f.GetMetric() {
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Summary != nil:
			sum += float64(m.GetSummary().GetSampleCount())
		}
	}
	return sum
}

// TestMetricsCountRequestsAndAuditFailures: after 7 KV reads and one read
// whose audit write fails, the request counters moved by exactly 8 and the
// audit-failure counter by exactly 1; no label carries a path below a
// mount or a token.
func TestMetricsCountRequestsAndAuditFailures(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	ctx := context.Background()
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	logPath := filepath.Join(t.TempDir(), "audit.log")
	enableFileAudit(t, c, "file", logPath, nil)
	_, err := c.KVv2("secret").Put(ctx, "team-a/db-password", map[string]any{"password": "hunter2"})
	must(t, err, "kv put")

	before, _ := scrape(t, c)
	const reads = 7
	for range reads {
		_, err := c.KVv2("secret").Get(ctx, "team-a/db-password")
		must(t, err, "kv get")
	}
	fillDisk(t, s, logPath)
	status, _ := raw(t, c, http.MethodGet, "secret/data/team-a/db-password", nil)
	if status != http.StatusInternalServerError {
		t.Fatalf("read with a failing audit device: %d", status)
	}
	freeDisk(t, s, logPath)
	after, text := scrape(t, c)

	for name, want := range map[string]float64{
		"vault_route_read_secret_":         reads + 1,
		"vault_core_handle_request":        reads + 1,
		"vault_audit_log_request_failure":  1,
		"vault_audit_log_response_failure": 0,
	} {
		if got := metricValue(after, name) - metricValue(before, name); got != want {
			t.Errorf("%s moved by %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{"vault_core_unsealed", "vault_core_active"} {
		if metricValue(after, name) != 1 {
			t.Errorf("%s = %v, want 1", name, metricValue(after, name))
		}
	}
	for _, name := range []string{"vault_expire_num_leases", "vault_token_count", "vault_token_creation", "vault_barrier_get", "vault_barrier_put", "vault_inmem_get", "go_goroutines", "process_cpu_seconds_total"} {
		if after[name] == nil {
			t.Errorf("no %s in the scrape", name)
		}
	}
	for _, secret := range []string{"team-a", "db-password", "hunter2", s.RootToken} {
		if strings.Contains(text, secret) {
			t.Errorf("the scrape carries %q", secret)
		}
	}
	// The JSON form, as `vault read sys/metrics` gets it.
	status, body := raw(t, c, http.MethodGet, "sys/metrics", nil)
	if status != http.StatusOK || body["Gauges"] == nil || body["Samples"] == nil {
		t.Fatalf("JSON metrics: %d %v", status, body)
	}
}

func TestMetricsAccess(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true})
	status, _ := raw(t, s.NewClient(""), http.MethodGet, "sys/metrics?format=prometheus", nil)
	if status != http.StatusForbidden {
		t.Fatalf("metrics without a token: %d", status)
	}
	// A token's policy decides: read on sys/metrics lets it scrape; the
	// default policy does not.
	must(t, s.Client.Sys().PutPolicy("scraper", `path "sys/metrics" { capabilities = ["read"] }`), "policy")
	for pol, want := range map[string]int{"scraper": http.StatusOK, "default": http.StatusForbidden} {
		tok, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{pol}})
		must(t, err, "token")
		status, _ := kvSend(t, s.NewClient(tok.Auth.ClientToken), http.MethodGet, "sys/metrics?format=prometheus", "", "")
		if status != want {
			t.Errorf("metrics with policy %s: %d, want %d", pol, status, want)
		}
	}
	// With unauthenticated_metrics_access a scraper needs no token, and a
	// sealed node still reports that it is sealed.
	c := startNode(t, func(l *config.Listener) { l.UnauthenticatedMetricsAccess = true })
	anon := vaulttest.NewClient(t, c.Address(), "")
	fams, _ := scrape(t, anon)
	if metricValue(fams, "vault_core_unsealed") != 1 {
		t.Fatal("vault_core_unsealed is not 1 on an unsealed node")
	}
	must(t, c.Sys().Seal(), "seal")
	fams, _ = scrape(t, anon)
	if metricValue(fams, "vault_core_unsealed") != 0 || fams["vault_core_unsealed"] == nil {
		t.Fatal("vault_core_unsealed is not 0 on a sealed node")
	}
}
