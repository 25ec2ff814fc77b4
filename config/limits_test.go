package config

import (
	"strings"
	"testing"
	"time"
)

func TestListenerLimits(t *testing.T) {
	cfg, err := Parse("x.hcl", []byte(`
storage "inmem" {}
listener "tcp" {
  tls_disable = true
  http_read_header_timeout = "2s"
  http_idle_timeout = 0
  max_json_depth = 50
  max_json_object_entry_count = "100"
  telemetry {
    unauthenticated_metrics_access = true
  }
}
listener "tcp" {
  address = "127.0.0.1:8201"
  tls_disable = true
}`))
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Listeners[0].ListenerLimits
	var want ListenerLimits
	want.HTTPReadHeaderTimeout, want.HTTPIdleTimeout = 2*time.Second, -1
	want.MaxJSONDepth, want.MaxJSONObjectEntryCount, want.UnauthenticatedMetricsAccess = 50, 100, true
	if l != want {
		t.Fatalf("limits = %+v, want %+v", l, want)
	}
	if got := cfg.Listeners[1].ListenerLimits; got != (ListenerLimits{}) {
		t.Fatalf("unset limits = %+v, want zero (the defaults)", got)
	}
}

func TestListenerLimitsBad(t *testing.T) {
	for body, want := range map[string]string{
		`http_read_timeout = "soon"`:                             "http_read_timeout",
		`max_json_depth = -3`:                                    "max_json_depth: may not be negative",
		`max_json_string_value_length = true`:                    "max_json_string_value_length",
		`telemetry { frobnicate = true }`:                        `unknown key "frobnicate"`,
		`telemetry = "yes"`:                                      "telemetry: want a block",
		`telemetry { unauthenticated_metrics_access = "maybe" }`: "unauthenticated_metrics_access",
	} {
		_, err := Parse("x.hcl", []byte("listener \"tcp\" {\n  tls_disable = true\n  "+body+"\n}\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}
