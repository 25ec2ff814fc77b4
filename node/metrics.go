package node

import (
	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/core"
	"github.com/vaultd/vaultd/metrics"
)

// newMetrics builds the node's registry from the telemetry stanza.
func newMetrics(conf *config.Config) *metrics.Metrics {
	t := conf.TelemetryOrDefault()
	return metrics.New(metrics.Config{
		RetentionTime:      t.PrometheusRetentionTime,
		DisableHostname:    t.DisableHostname && !t.EnableHostnameLabel,
		DisableUsageGauges: t.UsageGaugesOff,
	})
}

// registerGauges adds the gauges computed at each scrape from the core:
// seal state and usage counts.
func registerGauges(m *metrics.Metrics, c *core.Core) {
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	m.Gauge([]string{"core", "unsealed"}, "1 while the node is unsealed", func() float64 { return b(!c.Sealed()) })
	// Without HA an unsealed node is the active one.
	m.Gauge([]string{"core", "active"}, "1 while the node is the active node", func() float64 { return b(!c.Sealed()) })
	m.UsageGauge([]string{"expire", "num_leases"}, "secret leases under management", func() float64 {
		leases, _ := c.UsageCounts()
		return float64(leases)
	})
	m.UsageGauge([]string{"token", "count"}, "tokens with a TTL under management (root and other non-expiring tokens are not counted)", func() float64 {
		_, tokens := c.UsageCounts()
		return float64(tokens)
	})
}
