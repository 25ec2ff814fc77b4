package logical

import "time"

// Label is one metric label. A label value must never hold a request
// path, a token, an accessor or any other value that could carry a secret:
// only operation names, mount points, method types and the like.
type Label struct {
	Name, Value string
}

// MetricSink receives the server's metrics; the node owns the one that
// feeds GET sys/metrics. A key such as {"core", "handle_request"} becomes
// the metric vault_core_handle_request, as Vault names it.
type MetricSink interface {
	// IncrCounter adds val to a counter.
	IncrCounter(key []string, val float64, labels ...Label)
	// MeasureSince records the time since start in a summary (seconds).
	MeasureSince(key []string, start time.Time, labels ...Label)
}

// DiscardMetrics is a MetricSink that drops everything.
type DiscardMetrics struct{}

// IncrCounter does nothing.
func (DiscardMetrics) IncrCounter([]string, float64, ...Label) {}

// MeasureSince does nothing.
func (DiscardMetrics) MeasureSince([]string, time.Time, ...Label) {}
