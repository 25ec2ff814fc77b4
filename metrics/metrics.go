package metrics

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/vaultd/vaultd/logical"
)

// Config tunes a Metrics, from the server config's telemetry stanza.
type Config struct {
	// RetentionTime is prometheus_retention_time: how long a summary's
	// observations count (its sliding window). Zero turns the Prometheus
	// format off, as in Vault.
	RetentionTime time.Duration
	// DisableHostname leaves out the host label every metric otherwise
	// carries (disable_hostname).
	DisableHostname bool
	// DisableUsageGauges turns off the gauges computed at each scrape
	// (usage_gauge_period = "none").
	DisableUsageGauges bool
}

// Metrics is one node's registry and sink. It is safe for concurrent use.
type Metrics struct {
	conf Config
	reg  *prometheus.Registry
	// regr registers into reg, adding the host label unless disabled.
	regr prometheus.Registerer

	// mu serialises creating metrics. Lookups take no lock: each table is
	// an immutable map replaced whole when a metric is added, and indexing
	// it with a name built in a stack buffer allocates nothing.
	mu        sync.Mutex
	counters  table[*prometheus.CounterVec]
	summaries table[*prometheus.SummaryVec]
}

// table maps metric names to metrics; see Metrics.mu.
type table[T any] struct {
	p atomic.Pointer[map[string]*vec[T]]
}

func (t *table[T]) load(name []byte) *vec[T] {
	if m := t.p.Load(); m != nil {
		return (*m)[string(name)]
	}
	return nil
}

// store adds v under name; the caller holds Metrics.mu.
func (t *table[T]) store(name string, v *vec[T]) {
	next := map[string]*vec[T]{}
	if m := t.p.Load(); m != nil {
		maps.Copy(next, *m)
	}
	next[name] = v
	t.p.Store(&next)
}

// vec is one dynamically created metric with its fixed label names.
type vec[T any] struct {
	labels []string
	v      T
}

var _ logical.MetricSink = (*Metrics)(nil)

// New builds a registry with the Go runtime and process collectors.
func New(conf Config) *Metrics {
	m := &Metrics{conf: conf, reg: prometheus.NewRegistry()}
	m.regr = m.reg
	if !conf.DisableHostname {
		if host, err := os.Hostname(); err == nil {
			m.regr = prometheus.WrapRegistererWith(prometheus.Labels{"host": host}, m.reg)
		}
	}
	m.regr.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// PrometheusEnabled reports whether ?format=prometheus is served.
func (m *Metrics) PrometheusEnabled() bool { return m.conf.RetentionTime > 0 }

// Gatherer is the registry, for tests and handlers.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Gauge registers a gauge computed at each scrape.
func (m *Metrics) Gauge(key []string, help string, fn func() float64) {
	m.regr.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: Name(key), Help: help}, fn))
}

// UsageGauge is a Gauge that usage_gauge_period = "none" turns off.
func (m *Metrics) UsageGauge(key []string, help string, fn func() float64) {
	if m.conf.DisableUsageGauges {
		return
	}
	m.regr.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: Name(key), Help: help}, fn))
}

// Name turns a key into a Prometheus name with Vault's prefix: every
// character outside [a-zA-Z0-9_] becomes "_".
func Name(key []string) string {
	return string(appendName(nil, key))
}

func appendName(buf []byte, key []string) []byte {
	buf = append(buf, "vault"...)
	for _, k := range key {
		buf = append(buf, '_')
		for _, r := range k {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
				buf = append(buf, byte(r))
			default:
				buf = append(buf, '_')
			}
		}
	}
	return buf
}

// nameBufSize fits the names of the metrics timed on every request, so
// building them stays on the stack.
const nameBufSize = 96

func labelNames(labels []logical.Label) []string {
	names := make([]string, len(labels))
	for i, l := range labels {
		names[i] = l.Name
	}
	slices.Sort(names)
	return names
}

// values orders label values by names; a label the metric was first made
// without is dropped, one it lacks is empty.
func values(names []string, labels []logical.Label) []string {
	if len(names) == 0 {
		return nil
	}
	out := make([]string, len(names))
	for i, n := range names {
		for _, l := range labels {
			if l.Name == n {
				out[i] = l.Value
			}
		}
	}
	return out
}

// IncrCounter adds val to the counter named by key.
func (m *Metrics) IncrCounter(key []string, val float64, labels ...logical.Label) {
	var buf [nameBufSize]byte
	name := appendName(buf[:0], key)
	c := m.counters.load(name)
	if c == nil {
		c = m.newCounter(string(name), labels)
	}
	if c != nil {
		c.v.WithLabelValues(values(c.labels, labels)...).Add(val)
	}
}

// newCounter creates and registers a counter (or finds the one another
// caller made meanwhile); nil when registration fails.
func (m *Metrics) newCounter(name string, labels []logical.Label) *vec[*prometheus.CounterVec] {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.counters.load([]byte(name)); c != nil {
		return c
	}
	names := labelNames(labels)
	c := &vec[*prometheus.CounterVec]{labels: names, v: prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: "vaultd counter " + name}, names)}
	if err := m.regr.Register(c.v); err != nil {
		return nil
	}
	m.counters.store(name, c)
	return c
}

// MeasureSince records the seconds since start in the summary named by key.
func (m *Metrics) MeasureSince(key []string, start time.Time, labels ...logical.Label) {
	d := time.Since(start).Seconds()
	var buf [nameBufSize]byte
	name := appendName(buf[:0], key)
	s := m.summaries.load(name)
	if s == nil {
		s = m.newSummary(string(name), labels, withQuantiles(key))
	}
	if s != nil {
		s.v.WithLabelValues(values(s.labels, labels)...).Observe(d)
	}
}

// newSummary creates and registers a summary (or finds the one another
// caller made meanwhile); nil when registration fails.
func (m *Metrics) newSummary(name string, labels []logical.Label, quantiles bool) *vec[*prometheus.SummaryVec] {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.summaries.load([]byte(name)); s != nil {
		return s
	}
	{
		names := labelNames(labels)
		opts := prometheus.SummaryOpts{Name: name, Help: "vaultd timing " + name + " (seconds)"}
		if quantiles {
			opts.Objectives = map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001}
		}
		if m.conf.RetentionTime > 0 {
			opts.MaxAge = m.conf.RetentionTime
		}
		s := &vec[*prometheus.SummaryVec]{labels: names, v: prometheus.NewSummaryVec(opts, names)}
		if err := m.regr.Register(s.v); err != nil {
			return nil
		}
		m.summaries.store(name, s)
		return s
	}
}

// withQuantiles reports whether a timing keeps quantiles. Those of
// requests, leases and logins do; the barrier's and the storage's, timed
// several times per request, keep only their count and sum (enough for an
// average latency): a quantile observation costs about 100 times more.
func withQuantiles(key []string) bool {
	if len(key) == 0 {
		return false
	}
	switch key[0] {
	case "core", "route", "expire", "auth", "token", "audit", "quota":
		return true
	}
	return false
}

// WritePrometheus writes every metric in the Prometheus text format and
// returns its content type.
func (m *Metrics) WritePrometheus(w io.Writer) (string, error) {
	families, err := m.reg.Gather()
	if err != nil {
		return "", fmt.Errorf("metrics: gather: %w", err)
	}
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return "", fmt.Errorf("metrics: encode: %w", err)
		}
	}
	_, err = w.Write(buf.Bytes())
	return string(format), err
}

// JSON is the JSON answer of sys/metrics, in the shape of Vault's
// (go-metrics' in-memory dump): gauges, counters and samples.
func (m *Metrics) JSON() (map[string]any, error) {
	families, err := m.reg.Gather()
	if err != nil {
		return nil, fmt.Errorf("metrics: gather: %w", err)
	}
	gauges, counters, samples := []any{}, []any{}, []any{}
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			labels := map[string]string{}
			for _, lp := range mt.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			switch f.GetType() {
			case dto.MetricType_GAUGE:
				gauges = append(gauges, map[string]any{"Name": f.GetName(), "Value": mt.GetGauge().GetValue(), "Labels": labels})
			case dto.MetricType_COUNTER:
				v := mt.GetCounter().GetValue()
				counters = append(counters, map[string]any{"Name": f.GetName(), "Count": v, "Sum": v, "Labels": labels})
			case dto.MetricType_SUMMARY:
				s := mt.GetSummary()
				mean := 0.0
				if s.GetSampleCount() > 0 {
					mean = s.GetSampleSum() / float64(s.GetSampleCount())
				}
				samples = append(samples, map[string]any{"Name": f.GetName(), "Count": s.GetSampleCount(), "Sum": s.GetSampleSum(), "Mean": mean, "Labels": labels})
			}
		}
	}
	return map[string]any{
		"Timestamp": time.Now().UTC().Format("2006-01-02 15:04:05 -0700 MST"),
		"Gauges":    gauges,
		"Counters":  counters,
		"Samples":   samples,
		"Points":    []any{},
	}, nil
}
