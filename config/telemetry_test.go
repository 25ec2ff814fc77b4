package config

import (
	"strings"
	"testing"
	"time"
)

func TestTelemetryStanza(t *testing.T) {
	cfg, err := Parse("x.hcl", []byte(`
telemetry {
  prometheus_retention_time = "30s"
  disable_hostname = true
  enable_hostname_label = true
  usage_gauge_period = "none"
}`))
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.TelemetryOrDefault()
	if got.PrometheusRetentionTime != 30*time.Second || !got.DisableHostname || !got.EnableHostnameLabel || !got.UsageGaugesOff {
		t.Fatalf("telemetry: %+v", got)
	}
	none, _ := Parse("y.hcl", []byte(`ui = true`))
	if d := none.TelemetryOrDefault(); d.PrometheusRetentionTime != 24*time.Hour || d.DisableHostname {
		t.Fatalf("defaults: %+v", d)
	}
	json, err := Parse("z.json", []byte(`{"telemetry": {"usage_gauge_period": "5m", "prometheus_retention_time": 0}}`))
	if err != nil {
		t.Fatal(err)
	}
	if tj := json.TelemetryOrDefault(); tj.UsageGaugePeriod != 5*time.Minute || tj.PrometheusRetentionTime != 0 {
		t.Fatalf("json telemetry: %+v", tj)
	}
	for body, want := range map[string]string{
		`telemetry { statsd_address = "x" }`:            `unknown key "statsd_address"`,
		`telemetry { disable_hostname = "perhaps" }`:    "disable_hostname",
		`telemetry { prometheus_retention_time = "x" }`: "prometheus_retention_time",
		"telemetry {}\ntelemetry {}":                    "more than once",
		`telemetry "x" { }`:                             "too many labels",
	} {
		if _, err := Parse("b.hcl", []byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}
