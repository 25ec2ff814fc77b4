package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestRateLimitQuota: a quota of 10 requests per second on a path: ten
// requests in a burst pass and the eleventh is a 429 with Vault's error;
// other paths are not limited; deleting the quota lifts it.
func TestRateLimitQuota(t *testing.T) {
	ctx := context.Background()
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	_, err := c.KVv2("secret").Put(ctx, "hot", map[string]any{"k": "v"})
	must(t, err, "kv put")
	// A long interval makes "within one second" hold however slow the
	// machine: 10 per 100s is the same quota shape, refilled slower.
	_, err = c.Logical().Write("sys/quotas/rate-limit/hot-path", map[string]any{
		"path": "secret/data/hot", "rate": 10, "interval": "100s",
	})
	must(t, err, "create quota")
	q, err := c.Logical().Read("sys/quotas/rate-limit/hot-path")
	must(t, err, "read quota")
	if q.Data["type"] != "rate-limit" || q.Data["path"] != "secret/data/hot" || q.Data["name"] != "hot-path" {
		t.Fatalf("quota: %v", q.Data)
	}
	for range 10 {
		_, err := c.KVv2("secret").Get(ctx, "hot")
		must(t, err, "read within the quota")
	}
	status, body := raw(t, c, http.MethodGet, "secret/data/hot", nil)
	if status != http.StatusTooManyRequests {
		t.Fatalf("11th request: %d %v", status, body)
	}
	if errs := anyStrings(body["errors"]); len(errs) != 1 || errs[0] != `request path "secret/data/hot": rate limit quota exceeded` {
		t.Fatalf("11th request errors: %v", errs)
	}
	fams, _ := scrape(t, c)
	if got := metricValue(fams, "vault_quota_rate_limit_violation"); got != 1 {
		t.Fatalf("vault_quota_rate_limit_violation = %v, want 1", got)
	}
	// Another path is not limited.
	_, err = c.KVv2("secret").Put(ctx, "cold", map[string]any{"k": "v"})
	must(t, err, "other path")

	list, err := c.Logical().List("sys/quotas/rate-limit")
	must(t, err, "list quotas")
	if keys := list.Data["keys"].([]any); len(keys) != 1 || keys[0] != "hot-path" {
		t.Fatalf("list: %v", list.Data)
	}
	_, err = c.Logical().Delete("sys/quotas/rate-limit/hot-path")
	must(t, err, "delete quota")
	_, err = c.KVv2("secret").Get(ctx, "hot")
	must(t, err, "read after the quota is gone")
}

func TestRateLimitQuotaBadInput(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true})
	c := s.Client
	for name, data := range map[string]map[string]any{
		"no rate":        {"path": "sys/"},
		"negative rate":  {"rate": -1},
		"rate not a num": {"rate": "fast"},
		"unknown mount":  {"rate": 5, "path": "nowhere/x"},
		"bad interval":   {"rate": 5, "interval": "soon"},
		"role":           {"rate": 5, "role": "r"},
	} {
		_, err := c.Logical().Write("sys/quotas/rate-limit/q", data)
		wantStatus(t, err, http.StatusBadRequest, name)
	}
	if q, err := c.Logical().Read("sys/quotas/rate-limit/q"); err != nil || q != nil {
		t.Fatalf("a refused quota was stored: %v %v", q, err)
	}
	_, err := c.Logical().Write("sys/quotas/rate-limit/a", map[string]any{"rate": 5, "path": "sys/"})
	must(t, err, "quota a")
	_, err = c.Logical().Write("sys/quotas/rate-limit/b", map[string]any{"rate": 5, "path": "sys/"})
	wantStatus(t, err, http.StatusBadRequest, "two quotas on one path")
}
