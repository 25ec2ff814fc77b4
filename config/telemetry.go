package config

import (
	"time"

	"github.com/hashicorp/hcl/hcl/ast"
)

// DefaultPrometheusRetention is prometheus_retention_time when the
// telemetry stanza leaves it out, as in Vault.
const DefaultPrometheusRetention = 24 * time.Hour

// Telemetry is the telemetry { … } stanza.
type Telemetry struct {
	// PrometheusRetentionTime is how long observations count in the
	// Prometheus summaries; 0 turns ?format=prometheus off, as in Vault.
	PrometheusRetentionTime time.Duration
	// DisableHostname drops the host label from every metric, unless
	// EnableHostnameLabel keeps it.
	DisableHostname     bool
	EnableHostnameLabel bool
	// UsageGaugePeriod is accepted for Vault configs; vaultd computes its
	// usage gauges (lease and token counts) from memory at each scrape.
	// "none" (UsageGaugesOff) turns them off.
	UsageGaugePeriod time.Duration
	UsageGaugesOff   bool

	at position
}

// TelemetryOrDefault is the stanza, or Vault's defaults without one.
func (c *Config) TelemetryOrDefault() Telemetry {
	if c.Telemetry == nil {
		return Telemetry{PrometheusRetentionTime: DefaultPrometheusRetention, UsageGaugePeriod: 10 * time.Minute}
	}
	return *c.Telemetry
}

// telemetryBlock reads the top-level telemetry { … } stanza.
func (p *fileParser) telemetryBlock(cfg *Config, b block) {
	if cfg.Telemetry != nil {
		p.fail(b.at.errorf("telemetry is declared more than once (first on line %d)", cfg.Telemetry.at.line))
		return
	}
	t := &Telemetry{PrometheusRetentionTime: DefaultPrometheusRetention, UsageGaugePeriod: 10 * time.Minute, at: b.at}
	before := len(p.errs)
	for _, f := range p.fields(b, "prometheus_retention_time", "disable_hostname", "enable_hostname_label", "usage_gauge_period") {
		var err error
		switch f.key {
		case "prometheus_retention_time":
			t.PrometheusRetentionTime, err = f.duration()
		case "disable_hostname":
			t.DisableHostname, err = f.boolean()
		case "enable_hostname_label":
			t.EnableHostnameLabel, err = f.boolean()
		case "usage_gauge_period":
			if s, serr := f.str(); serr == nil && s == "none" {
				t.UsageGaugesOff, t.UsageGaugePeriod = true, 0
				break
			}
			t.UsageGaugePeriod, err = f.duration()
		}
		if err != nil {
			p.fail(f.at.errorf("telemetry: %w", err))
		}
	}
	if len(p.errs) == before {
		cfg.Telemetry = t
	}
}

// telemetryItem reads the telemetry item: a block with no label (in JSON,
// an object or a list of one object).
func (p *fileParser) telemetryItem(cfg *Config, item *ast.ObjectItem) {
	at := p.pos(item.Keys[0])
	b := block{name: "telemetry", at: at}
	if len(item.Keys) > 1 {
		p.fail(at.errorf("telemetry: too many labels (%q)", keyName(item.Keys[1])))
		return
	}
	val := item.Val
	if lt, ok := val.(*ast.ListType); ok && len(lt.List) == 1 {
		val = lt.List[0]
	}
	ot, ok := val.(*ast.ObjectType)
	if !ok {
		p.fail(at.errorf("telemetry: want a block { … }, got %s", describe(val)))
		return
	}
	b.body = ot.List
	p.telemetryBlock(cfg, b)
}
