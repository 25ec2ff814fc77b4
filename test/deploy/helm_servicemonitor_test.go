package deploy

import (
	"strings"
	"testing"

	"github.com/vaultd/vaultd/config"
)

// TestHelmServiceMonitor: off by default; when enabled, a ServiceMonitor
// scrapes /v1/sys/metrics?format=prometheus on the API port and the
// listener allows the scrape without a token (unless a token is given).
func TestHelmServiceMonitor(t *testing.T) {
	if out := helmTemplate(t); strings.Contains(out, "kind: ServiceMonitor") || strings.Contains(out, "unauthenticated_metrics_access") {
		t.Fatal("the default rendering has a ServiceMonitor or open metrics")
	}
	out := helmTemplate(t, "--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.labels.release=prom")
	sm := renderedDoc(t, out, "kind: ServiceMonitor")
	for _, want := range []string{"apiVersion: monitoring.coreos.com/v1", "path: /v1/sys/metrics", "format: [prometheus]", "port: http", "release: prom", "interval: 30s"} {
		if !strings.Contains(sm, want) {
			t.Errorf("ServiceMonitor lacks %q:\n%s", want, sm)
		}
	}
	conf := renderedConfig(t, out)
	if !conf.Listeners[0].UnauthenticatedMetricsAccess {
		t.Error("the listener does not allow the tokenless scrape")
	}

	out = helmTemplate(t, "--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.unauthenticatedMetricsAccess=false",
		"--set", "serviceMonitor.bearerTokenSecret.name=metrics-token")
	sm = renderedDoc(t, out, "kind: ServiceMonitor")
	if !strings.Contains(sm, "name: metrics-token") || !strings.Contains(sm, "key: token") || !strings.Contains(sm, "type: Bearer") {
		t.Errorf("token scrape not configured:\n%s", sm)
	}
	if renderedConfig(t, out).Listeners[0].UnauthenticatedMetricsAccess {
		t.Error("metrics open although a token is used")
	}
	if _, err := runHelm(t, "template", "vaultd", chartDir(t), "--set", "serviceMonitor.interval=often"); err == nil {
		t.Error("a bad interval was accepted")
	}
}

// renderedDoc returns the YAML document of out that contains marker.
func renderedDoc(t *testing.T, out, marker string) string {
	t.Helper()
	for _, doc := range strings.Split(out, "\n---") {
		if strings.Contains(doc, marker) {
			return doc
		}
	}
	t.Fatalf("no document with %q in:\n%s", marker, out)
	return ""
}

// renderedConfig parses the chart's vaultd.hcl out of the ConfigMap.
func renderedConfig(t *testing.T, out string) *config.Config {
	t.Helper()
	doc := renderedDoc(t, out, "vaultd.hcl: |")
	_, body, _ := strings.Cut(doc, "vaultd.hcl: |\n")
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		if l != "" && !strings.HasPrefix(l, "    ") {
			break
		}
		lines = append(lines, strings.TrimPrefix(l, "    "))
	}
	conf, err := config.Parse("vaultd.hcl", []byte(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatalf("chart config: %v\n%s", err, strings.Join(lines, "\n"))
	}
	return conf
}
