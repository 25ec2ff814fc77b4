package core

import (
	"strings"
	"time"

	"github.com/vaultd/vaultd/auth/token"
	"github.com/vaultd/vaultd/logical"
)

// Metric keys the core reports, by Vault's names.
var (
	metricAuditRequestFailure  = []string{"audit", "log_request_failure"}
	metricAuditResponseFailure = []string{"audit", "log_response_failure"}
	metricExpireRevoke         = []string{"expire", "revoke"}
	metricTokenCreation        = []string{"token", "creation"}
	metricQuotaViolation       = []string{"quota", "rate_limit", "violation"}
)

// sink is the configured metric sink, or one that drops everything.
func (c *Core) sink() logical.MetricSink {
	if c.conf.Metrics == nil {
		return logical.DiscardMetrics{}
	}
	return c.conf.Metrics
}

// countTokenCreation counts one new token by the auth method that made it
// (its mount point and type), never by the token or its policies.
func (st *unsealed) countTokenCreation(e *token.Entry) {
	mount, method := "auth/token/", "token"
	if rest, ok := strings.CutPrefix(e.Path, "auth/"); ok {
		if name, _, found := strings.Cut(rest, "/"); found {
			mount = "auth/" + name + "/"
			if rt, _ := st.router.match(e.Path); rt != nil {
				mount, method = rt.entry.routePath(), rt.entry.Type
			}
		}
	}
	st.c.sink().IncrCounter(metricTokenCreation, 1,
		logical.Label{Name: "auth_method", Value: method},
		logical.Label{Name: "mount_point", Value: mount},
		logical.Label{Name: "token_type", Value: string(e.Type)})
}

// barrierObserver times barrier operations as vault_barrier_<op>.
func barrierObserver(sink logical.MetricSink) func(op string, start time.Time) {
	if sink == nil {
		return nil
	}
	keys := map[string][]string{}
	for _, op := range []string{"get", "put", "delete", "list"} {
		keys[op] = []string{"barrier", op}
	}
	return func(op string, start time.Time) {
		key, ok := keys[op]
		if !ok {
			key = []string{"barrier", op}
		}
		sink.MeasureSince(key, start)
	}
}

// UsageCounts reports the number of secret leases and of tracked
// (expiring) tokens, for the usage gauges; zeros while sealed.
func (c *Core) UsageCounts() (leases, tokens int) {
	c.stateLock.RLock()
	defer c.stateLock.RUnlock()
	if c.state == nil || c.state.expiration == nil {
		return 0, 0
	}
	x := c.state.expiration
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, rec := range x.records {
		if rec.Kind == kindSecret {
			leases++
		} else {
			tokens++
		}
	}
	return leases, tokens
}
