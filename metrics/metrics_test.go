package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vaultd/vaultd/logical"
)

func TestName(t *testing.T) {
	for key, want := range map[string]string{
		"route read secret-":     "vault_route_read_secret_",
		"core handle_request":    "vault_core_handle_request",
		"route list auth-k8s.x-": "vault_route_list_auth_k8s_x_",
	} {
		if got := Name(strings.Split(key, " ")); got != want {
			t.Errorf("Name(%q) = %q, want %q", key, got, want)
		}
	}
}

// Two Metrics never share figures: each owns its registry.
func TestRegistriesAreSeparate(t *testing.T) {
	a, b := New(Config{RetentionTime: time.Hour, DisableHostname: true}), New(Config{RetentionTime: time.Hour})
	a.IncrCounter([]string{"audit", "log_request_failure"}, 2)
	a.IncrCounter([]string{"token", "creation"}, 1, logical.Label{Name: "auth_method", Value: "token"})
	// A later call with other labels keeps the first label set.
	a.IncrCounter([]string{"token", "creation"}, 1, logical.Label{Name: "mount_point", Value: "x/"})
	a.MeasureSince([]string{"core", "handle_request"}, time.Now())
	a.MeasureSince([]string{"barrier", "get"}, time.Now())
	var sa, sb strings.Builder
	if _, err := a.WritePrometheus(&sa); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WritePrometheus(&sb); err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fa, err := p.TextToMetricFamilies(strings.NewReader(sa.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := fa["vault_audit_log_request_failure"].GetMetric()[0].GetCounter().GetValue(); got != 2 {
		t.Fatalf("counter = %v", got)
	}
	if n := len(fa["vault_token_creation"].GetMetric()); n != 2 {
		t.Fatalf("token creation series: %d", n)
	}
	if q := fa["vault_core_handle_request"].GetMetric()[0].GetSummary().GetQuantile(); len(q) != 3 {
		t.Fatalf("request quantiles: %v", q)
	}
	if s := fa["vault_barrier_get"].GetMetric()[0].GetSummary(); len(s.GetQuantile()) != 0 || s.GetSampleCount() != 1 {
		t.Fatalf("barrier summary: %v", s)
	}
	if strings.Contains(sb.String(), "vault_audit_log_request_failure") {
		t.Fatal("b sees a's counter")
	}
	if !strings.Contains(sb.String(), `host="`) || strings.Contains(sa.String(), `host="`) {
		t.Fatal("host label not added, or added despite disable_hostname")
	}
	js, err := a.JSON()
	if err != nil || len(js["Counters"].([]any)) == 0 || len(js["Samples"].([]any)) == 0 {
		t.Fatalf("JSON: %v %v", js, err)
	}
	if New(Config{}).PrometheusEnabled() {
		t.Fatal("prometheus enabled with no retention")
	}
}

// BenchmarkMeasureSince is the cost the hot path pays per timed operation.
func BenchmarkMeasureSince(b *testing.B) {
	m := New(Config{RetentionTime: time.Hour, DisableHostname: true})
	b.Run("request", func(b *testing.B) { benchMeasure(b, m, []string{"core", "handle_request"}) })
	b.Run("barrier", func(b *testing.B) { benchMeasure(b, m, []string{"barrier", "get"}) })
}

func benchMeasure(b *testing.B, m *Metrics, key []string) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.MeasureSince(key, time.Now())
		}
	})
}
