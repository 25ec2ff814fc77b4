package core

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
)

// quotaPrefix is where rate-limit quotas live inside the barrier.
const quotaPrefix = "sys/quotas/rate-limit/"

// rateQuota is one sys/quotas/rate-limit/<name>: at most Rate requests per
// Interval from one client address on Path (a mount, a path under one, or
// "" for every path); a client over it is refused for BlockInterval.
type rateQuota struct {
	Name          string        `json:"name"`
	Path          string        `json:"path"`
	Rate          float64       `json:"rate"`
	Interval      time.Duration `json:"interval"`
	BlockInterval time.Duration `json:"block_interval"`
}

// quotaManager holds the quotas and the per-client buckets. Its maps are
// loaded from storage on first use.
type quotaManager struct {
	st *unsealed

	mu      sync.Mutex
	loaded  bool
	quotas  map[string]*rateQuota
	buckets map[bucketKey]*bucket
}

type bucketKey struct{ quota, client string }

// bucket is a token bucket of capacity Rate refilled at Rate per Interval,
// with the time until which its client is blocked.
type bucket struct {
	tokens       float64
	last         time.Time
	blockedUntil time.Time
}

func newQuotaManager(st *unsealed) *quotaManager {
	return &quotaManager{st: st, quotas: map[string]*rateQuota{}, buckets: map[bucketKey]*bucket{}}
}

func (q *quotaManager) loadLocked(ctx context.Context) error {
	if q.loaded {
		return nil
	}
	names, err := q.st.c.barrier.List(ctx, quotaPrefix)
	if err != nil {
		return fmt.Errorf("list quotas: %w", err)
	}
	for _, n := range names {
		e, err := q.st.c.barrier.Get(ctx, quotaPrefix+n)
		if err != nil {
			return fmt.Errorf("read quota: %w", err)
		}
		if e == nil {
			continue
		}
		var rq rateQuota
		if err := json.Unmarshal(e.Value, &rq); err != nil {
			return fmt.Errorf("decode quota %q: %w", n, err)
		}
		q.quotas[rq.Name] = &rq
	}
	q.loaded = true
	return nil
}

// covers reports whether a quota path applies to a request path: "" to
// every path, a mount ("secret/") or a path ending in "*" to every path
// under it, any other path to itself only.
func covers(quotaPath, path string) bool {
	switch {
	case quotaPath == "":
		return true
	case strings.HasSuffix(quotaPath, "*"):
		return strings.HasPrefix(path, strings.TrimSuffix(quotaPath, "*"))
	case strings.HasSuffix(quotaPath, "/"):
		return strings.HasPrefix(path, quotaPath)
	}
	return path == quotaPath || path == quotaPath+"/"
}

// match finds the most specific quota for path: the longest quota path
// that covers it, the global quota ("") last.
func (q *quotaManager) matchLocked(path string) *rateQuota {
	var best *rateQuota
	for _, rq := range q.quotas {
		if !covers(rq.Path, path) {
			continue
		}
		if best == nil || len(rq.Path) > len(best.Path) || (len(rq.Path) == len(best.Path) && rq.Name < best.Name) {
			best = rq
		}
	}
	return best
}

// allow spends one request of client on path's quota, if any.
func (q *quotaManager) allow(ctx context.Context, path, client string, now time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.loadLocked(ctx); err != nil {
		return err
	}
	rq := q.matchLocked(path)
	if rq == nil {
		return nil
	}
	key := bucketKey{rq.Name, client}
	b := q.buckets[key]
	if b == nil {
		b = &bucket{tokens: rq.Rate, last: now}
		q.buckets[key] = b
	}
	refused := logical.CodedErrorf(http.StatusTooManyRequests, "request path %q: rate limit quota exceeded", path)
	if now.Before(b.blockedUntil) {
		q.st.c.sink().IncrCounter(metricQuotaViolation, 1, logical.Label{Name: "name", Value: rq.Name})
		return refused
	}
	elapsed := now.Sub(b.last)
	b.last = now
	if elapsed > 0 {
		b.tokens = math.Min(rq.Rate, b.tokens+rq.Rate*float64(elapsed)/float64(rq.Interval))
	}
	if b.tokens < 1 {
		if rq.BlockInterval > 0 {
			b.blockedUntil = now.Add(rq.BlockInterval)
		}
		q.st.c.sink().IncrCounter(metricQuotaViolation, 1, logical.Label{Name: "name", Value: rq.Name})
		return refused
	}
	b.tokens--
	return nil
}

// CheckQuota applies the rate-limit quotas to one request from clientAddr
// (its IP address) for path, before the request enters the pipeline: a
// 429 when the client is over its quota. A sealed core has no quotas; the
// pipeline answers it.
func (c *Core) CheckQuota(ctx context.Context, path, clientAddr string) error {
	c.stateLock.RLock()
	defer c.stateLock.RUnlock()
	if c.state == nil {
		return nil
	}
	sys := c.state.sysBackend()
	if sys == nil {
		return nil
	}
	return sys.quotas.allow(ctx, path, clientAddr, c.now())
}

// sysBackend finds the sys/ mount's backend.
func (st *unsealed) sysBackend() *sysBackend {
	rt, _ := st.router.match("sys/")
	if rt == nil {
		return nil
	}
	b, _ := rt.backend.(*sysBackend)
	return b
}

func (b *sysBackend) quotaRoutes() []sysRoute {
	return []sysRoute{
		sysPath(`quotas/rate-limit/?`, map[logical.Operation]sysHandler{logical.ListOperation: b.quotaList}),
		sysPath(`quotas/rate-limit/([^/]+)`, map[logical.Operation]sysHandler{
			logical.ReadOperation:   b.quotaRead,
			logical.UpdateOperation: b.quotaWrite,
			logical.DeleteOperation: b.quotaDelete,
		}),
	}
}

var quotaSchema = map[string]*logical.FieldSchema{
	"path":           {Type: logical.TypeString},
	"rate":           {Type: logical.TypeString},
	"interval":       {Type: logical.TypeDuration},
	"block_interval": {Type: logical.TypeDuration},
	"role":           {Type: logical.TypeString},
	"inheritable":    {Type: logical.TypeBool},
	"type":           {Type: logical.TypeString},
	"name":           {Type: logical.TypeString},
}

func (b *sysBackend) quotaWrite(ctx context.Context, req *logical.Request, m []string) (*logical.Response, error) {
	fd, err := fields(req, quotaSchema)
	if err != nil {
		return nil, err
	}
	if fd.Get("role").(string) != "" {
		return nil, logical.InvalidRequest("role based quotas are not supported by vaultd")
	}
	q := b.quotas
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.loadLocked(ctx); err != nil {
		return nil, err
	}
	rq := &rateQuota{Name: m[1], Interval: time.Second}
	if old := q.quotas[m[1]]; old != nil {
		cp := *old
		rq = &cp
	}
	if v, ok, _ := fd.GetOk("path"); ok {
		rq.Path = strings.TrimPrefix(v.(string), "/")
		if rq.Path != "" && !strings.Contains(rq.Path, "/") {
			rq.Path += "/" // a mount named without its slash
		}
	}
	if v, ok, _ := fd.GetOk("rate"); ok {
		var perr error
		if rq.Rate, perr = parseRate(v.(string)); perr != nil {
			return nil, perr
		}
	}
	if rq.Rate <= 0 {
		return nil, logical.InvalidRequest("'rate' is invalid")
	}
	if v, ok, _ := fd.GetOk("interval"); ok {
		rq.Interval = v.(time.Duration)
	}
	if rq.Interval <= 0 {
		rq.Interval = time.Second
	}
	if v, ok, _ := fd.GetOk("block_interval"); ok {
		rq.BlockInterval = v.(time.Duration)
	}
	if err := b.checkQuotaPath(rq.Path); err != nil {
		return nil, err
	}
	for _, other := range q.quotas {
		if other.Name != rq.Name && other.Path == rq.Path {
			return nil, logical.InvalidRequest("quota with the same path %q already exists: %q", rq.Path, other.Name)
		}
	}
	raw, err := json.Marshal(rq)
	if err != nil {
		return nil, err
	}
	if err := b.st.c.barrier.Put(ctx, &storage.Entry{Key: quotaPrefix + rq.Name, Value: raw}); err != nil {
		return nil, err
	}
	q.quotas[rq.Name] = rq
	for k := range q.buckets {
		if k.quota == rq.Name {
			delete(q.buckets, k)
		}
	}
	return nil, nil
}

// parseRate reads rate, a positive number.
func parseRate(s string) (float64, error) {
	var f float64
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%g", &f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, logical.InvalidRequest("error converting input for field \"rate\": %q is not a number", s)
	}
	return f, nil
}

// checkQuotaPath accepts "" (global) or a path that starts with a mount.
func (b *sysBackend) checkQuotaPath(p string) error {
	if p == "" {
		return nil
	}
	if rt, _ := b.st.router.match(strings.TrimSuffix(p, "*")); rt == nil {
		return logical.InvalidRequest("invalid mount path %q", p)
	}
	return nil
}

func (b *sysBackend) quotaRead(ctx context.Context, _ *logical.Request, m []string) (*logical.Response, error) {
	q := b.quotas
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.loadLocked(ctx); err != nil {
		return nil, err
	}
	rq := q.quotas[m[1]]
	if rq == nil {
		return nil, nil
	}
	return &logical.Response{Data: map[string]any{
		"name":           rq.Name,
		"path":           rq.Path,
		"type":           "rate-limit",
		"rate":           rq.Rate,
		"interval":       int64(rq.Interval / time.Second),
		"block_interval": int64(rq.BlockInterval / time.Second),
		"role":           "",
		"inheritable":    false,
	}}, nil
}

func (b *sysBackend) quotaDelete(ctx context.Context, _ *logical.Request, m []string) (*logical.Response, error) {
	q := b.quotas
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.loadLocked(ctx); err != nil {
		return nil, err
	}
	if err := b.st.c.barrier.Delete(ctx, quotaPrefix+m[1]); err != nil {
		return nil, err
	}
	delete(q.quotas, m[1])
	return nil, nil
}

func (b *sysBackend) quotaList(ctx context.Context, _ *logical.Request, _ []string) (*logical.Response, error) {
	q := b.quotas
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.loadLocked(ctx); err != nil {
		return nil, err
	}
	if len(q.quotas) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(q.quotas))
	for k := range q.quotas {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return &logical.Response{Data: map[string]any{"keys": keys}}, nil
}
