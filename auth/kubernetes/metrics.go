package kubernetes

import (
	"time"

	"github.com/vaultd/vaultd/logical"
)

// Metric keys: login latency, the latency of each Kubernetes API call by
// its kind, and API call errors (TokenReview errors first of all). No
// label holds a JWT, a service-account name or a namespace.
var (
	metricLogin    = []string{"auth", "kubernetes", "login"}
	metricAPICall  = []string{"auth", "kubernetes", "api_call"}
	metricAPIError = []string{"auth", "kubernetes", "api_error"}
)

func (b *Backend) observeMetrics(call string, started time.Time, err error) {
	label := logical.Label{Name: "call", Value: call}
	b.metrics.MeasureSince(metricAPICall, started, label)
	if err != nil {
		b.metrics.IncrCounter(metricAPIError, 1, label)
	}
}
