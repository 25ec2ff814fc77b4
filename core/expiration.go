package core

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vaultd/vaultd/auth/token"
	"github.com/vaultd/vaultd/logical"
)

// expirePrefix is where the lease index lives inside the barrier.
const expirePrefix = "sys/expire/"

// reapInterval is how often the reaper looks for due leases.
const reapInterval = time.Second

const (
	kindToken  = "token"
	kindSecret = "secret"
)

// leaseRecord is one entry of the lease index: a token with an expiry, or a
// secret lease.
type leaseRecord struct {
	Kind          string          `json:"kind"`
	LeaseID       string          `json:"lease_id,omitempty"`
	Path          string          `json:"path"`
	TokenAccessor string          `json:"token_accessor"`
	IssueTime     time.Time       `json:"issue_time"`
	ExpireTime    time.Time       `json:"expire_time"`
	LastRenewal   time.Time       `json:"last_renewal,omitzero"`
	Secret        *logical.Secret `json:"secret,omitempty"`
}

// key is where the record is stored under the lease index. A token's key
// is a hash of its accessor so that no accessor appears in a storage key.
func (r *leaseRecord) key() string {
	if r.Kind == kindToken {
		sum := sha256.Sum256([]byte(r.TokenAccessor))
		return "token/" + hex.EncodeToString(sum[:])
	}
	return "lease/" + r.LeaseID
}

// expiration is the lease manager: it records every expiring token and
// secret lease, and revokes them in the background when due. It picks up
// where it left off after a restart by reloading the index at unseal.
type expiration struct {
	st   *unsealed
	view logical.Storage

	mu      sync.Mutex
	records map[string]*leaseRecord
	due     dueHeap
	// busy holds a channel per lease being revoked or renewed, closed when
	// that is done: one engine call per lease at a time, so a lease is never
	// revoked twice or renewed back to life while it is being revoked.
	busy map[string]chan struct{}
	// failures counts failed revocations per lease, for the retry backoff.
	failures map[string]int

	stopOnce sync.Once
	done     chan struct{}
	wg       sync.WaitGroup
}

func newExpiration(st *unsealed, view logical.Storage) *expiration {
	return &expiration{st: st, view: view, records: map[string]*leaseRecord{}, done: make(chan struct{}),
		busy: map[string]chan struct{}{}, failures: map[string]int{}}
}

// start loads the index and starts the reaper.
func (x *expiration) start(ctx context.Context) error {
	for _, prefix := range []string{"token/", "lease/"} {
		if err := x.load(ctx, prefix); err != nil {
			return err
		}
	}
	x.wg.Add(1)
	go x.reapLoop()
	return nil
}

func (x *expiration) load(ctx context.Context, prefix string) error {
	keys, err := x.view.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("list leases: %w", err)
	}
	for _, k := range keys {
		if strings.HasSuffix(k, "/") {
			if err := x.load(ctx, prefix+k); err != nil {
				return err
			}
			continue
		}
		entry, err := x.view.Get(ctx, prefix+k)
		if err != nil {
			return fmt.Errorf("read lease: %w", err)
		}
		if entry == nil {
			continue
		}
		var rec leaseRecord
		if err := json.Unmarshal(entry.Value, &rec); err != nil {
			return fmt.Errorf("decode lease %s: %w", prefix+k, err)
		}
		x.remember(&rec)
	}
	return nil
}

func (x *expiration) stop() {
	x.stopOnce.Do(func() { close(x.done) })
	x.wg.Wait()
}

func (x *expiration) remember(rec *leaseRecord) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.records[rec.key()] = rec
	heap.Push(&x.due, dueItem{key: rec.key(), at: rec.ExpireTime})
}

func (x *expiration) forget(key string) *leaseRecord {
	x.mu.Lock()
	defer x.mu.Unlock()
	rec := x.records[key]
	delete(x.records, key)
	return rec
}

func (x *expiration) persist(ctx context.Context, rec *leaseRecord) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode lease: %w", err)
	}
	if err := x.view.Put(ctx, &logical.StorageEntry{Key: rec.key(), Value: raw}); err != nil {
		return fmt.Errorf("write lease: %w", err)
	}
	x.remember(rec)
	return nil
}

// trackToken records a token's expiry; a token that never expires is not
// tracked.
func (x *expiration) trackToken(ctx context.Context, e *token.Entry) error {
	rec := &leaseRecord{Kind: kindToken, Path: e.Path, TokenAccessor: e.Accessor, IssueTime: e.CreationTime, ExpireTime: e.ExpireTime}
	if e.ExpireTime.IsZero() {
		return x.untrackToken(ctx, e)
	}
	return x.persist(ctx, rec)
}

func (x *expiration) untrackToken(ctx context.Context, e *token.Entry) error {
	rec := &leaseRecord{Kind: kindToken, TokenAccessor: e.Accessor}
	x.forget(rec.key())
	if err := x.view.Delete(ctx, rec.key()); err != nil {
		return fmt.Errorf("delete token lease: %w", err)
	}
	return x.revokeSecretsOf(ctx, e.Accessor)
}

// registerSecret gives a response's secret a lease ID and records it.
func (x *expiration) registerSecret(ctx context.Context, cl *call, resp *logical.Response) error {
	sec := resp.Secret
	sys := cl.rt.system
	if sec.TTL <= 0 {
		sec.TTL = sys.DefaultLeaseTTL()
	}
	if sec.TTL > sys.MaxLeaseTTL() {
		sec.TTL = sys.MaxLeaseTTL()
	}
	suffix, err := randomHex(12)
	if err != nil {
		return err
	}
	now := x.st.c.now()
	sec.LeaseID = strings.TrimSuffix(cl.req.Path, "/") + "/" + suffix
	sec.IssueTime = now
	accessor := ""
	if cl.tok != nil {
		accessor = cl.tok.Accessor
	}
	return x.persist(ctx, &leaseRecord{
		Kind: kindSecret, LeaseID: sec.LeaseID, Path: cl.req.Path, TokenAccessor: accessor,
		IssueTime: now, ExpireTime: now.Add(sec.TTL), Secret: sec,
	})
}

// lookupLease returns a secret lease's record, or nil.
func (x *expiration) lookupLease(leaseID string) *leaseRecord {
	x.mu.Lock()
	defer x.mu.Unlock()
	rec := x.records["lease/"+leaseID]
	if rec == nil {
		return nil
	}
	cp := *rec
	return &cp
}

// listLeases names the secret leases directly under prefix, sorted:
// lease IDs by their remaining part, deeper paths as folders ending in "/".
func (x *expiration) listLeases(prefix string) []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	seen := map[string]bool{}
	for _, rec := range x.records {
		rest, ok := strings.CutPrefix(rec.LeaseID, prefix)
		if rec.Kind != kindSecret || !ok || rest == "" {
			continue
		}
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[:i+1]
		}
		seen[rest] = true
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lockLease waits until no other revocation or renewal of the lease is in
// flight and marks it busy; the returned func releases it.
func (x *expiration) lockLease(ctx context.Context, leaseID string) (func(), error) {
	for {
		x.mu.Lock()
		ch, taken := x.busy[leaseID]
		if !taken {
			ch = make(chan struct{})
			x.busy[leaseID] = ch
			x.mu.Unlock()
			return func() {
				x.mu.Lock()
				delete(x.busy, leaseID)
				x.mu.Unlock()
				close(ch)
			}, nil
		}
		x.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// revokeLease revokes one secret lease: the engine that issued it is asked
// to revoke the secret (unless forced), then the record goes. A failed
// revocation keeps the record, so the lease is retried, never lost.
func (x *expiration) revokeLease(ctx context.Context, leaseID string, force bool) error {
	defer x.st.c.sink().MeasureSince(metricExpireRevoke, time.Now())
	unlock, err := x.lockLease(ctx, leaseID)
	if err != nil {
		return err
	}
	defer unlock()
	rec := x.lookupLease(leaseID)
	if rec == nil {
		// Already revoked (perhaps by a call we waited for).
		return nil
	}
	if err := x.revokeWithEngine(ctx, rec); err != nil && !force {
		return err
	}
	x.forget(rec.key())
	x.mu.Lock()
	delete(x.failures, rec.key())
	x.mu.Unlock()
	if err := x.view.Delete(ctx, rec.key()); err != nil {
		return fmt.Errorf("delete lease: %w", err)
	}
	return nil
}

func (x *expiration) revokeWithEngine(ctx context.Context, rec *leaseRecord) error {
	rt, rel := x.st.router.match(rec.Path)
	if rt == nil {
		return nil
	}
	_, err := rt.backend.HandleRequest(ctx, &logical.Request{
		ID: newUUID(), Operation: logical.RevokeOperation, Path: rel, Secret: rec.Secret,
		Storage: rt.view, MountPoint: rt.entry.routePath(), MountType: rt.entry.Type,
	})
	if errors.Is(err, logical.ErrUnsupportedOperation) {
		return nil
	}
	return err
}

// revokePrefix revokes every secret lease under prefix and every token
// issued under it. The prefix matches whole path segments, as Vault's
// does (it appends "/"): "auth/tok" matches nothing of "auth/token/".
func (x *expiration) revokePrefix(ctx context.Context, prefix string, force bool) error {
	var leases []string
	var tokens []string
	x.mu.Lock()
	for _, rec := range x.records {
		if !underPrefix(rec.Path, prefix) && !underPrefix(rec.LeaseID, prefix) {
			continue
		}
		if rec.Kind == kindSecret {
			leases = append(leases, rec.LeaseID)
		} else {
			tokens = append(tokens, rec.TokenAccessor)
		}
	}
	x.mu.Unlock()
	var errs []error
	for _, id := range leases {
		errs = append(errs, x.revokeLease(ctx, id, force))
	}
	for _, acc := range tokens {
		errs = append(errs, x.st.tokens.RevokeAccessor(ctx, acc))
	}
	return errors.Join(errs...)
}

func (x *expiration) revokeSecretsOf(ctx context.Context, accessor string) error {
	var leases []string
	x.mu.Lock()
	for _, rec := range x.records {
		if rec.Kind == kindSecret && rec.TokenAccessor == accessor {
			leases = append(leases, rec.LeaseID)
		}
	}
	x.mu.Unlock()
	var errs []error
	for _, id := range leases {
		errs = append(errs, x.revokeLease(ctx, id, false))
	}
	return errors.Join(errs...)
}

func (x *expiration) reapLoop() {
	defer x.wg.Done()
	ticker := time.NewTicker(reapInterval)
	defer ticker.Stop()
	for {
		select {
		case <-x.done:
			return
		case <-ticker.C:
			x.reapDue(x.st.ctx)
		}
	}
}

// reapWorkers bounds how many due leases are revoked at once.
const reapWorkers = 8

// maxRetryDelay caps the backoff between attempts to revoke a lease whose
// revocation keeps failing.
const maxRetryDelay = 5 * time.Minute

// retryDelay is the wait before the next attempt after n failures:
// 1s, 2s, 4s, … up to maxRetryDelay. The lease is kept (and shown by
// sys/leases/lookup) until a revocation succeeds or it is revoked with
// force; vaultd never gives up on it.
func retryDelay(n int) time.Duration {
	d := reapInterval
	for i := 1; i < n && d < maxRetryDelay; i++ {
		d *= 2
	}
	return min(d, maxRetryDelay)
}

// reapDue revokes every record whose expiry has passed, a few at a time.
func (x *expiration) reapDue(ctx context.Context) {
	sem := make(chan struct{}, reapWorkers)
	var wg sync.WaitGroup
	for _, rec := range x.popDue(x.st.c.now()) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			x.reapOne(ctx, rec)
		}()
	}
	wg.Wait()
}

func (x *expiration) reapOne(ctx context.Context, rec *leaseRecord) {
	var err error
	if rec.Kind == kindToken {
		err = x.st.tokens.RevokeAccessor(ctx, rec.TokenAccessor)
	} else {
		err = x.revokeLease(ctx, rec.LeaseID, false)
	}
	if err == nil {
		x.logExpired(rec)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err == nil || ctx.Err() != nil {
		delete(x.failures, rec.key())
		return
	}
	cur := x.records[rec.key()]
	if cur == nil {
		return
	}
	x.failures[rec.key()]++
	n := x.failures[rec.key()]
	delay := retryDelay(n)
	x.st.c.logger.Warn("revoking expired lease failed; will retry", "kind", rec.Kind, "lease_id", rec.LeaseID,
		"attempt", n, "retry_in", delay.String(), "error", err)
	// The retry is scheduled in memory only: after a restart the stored
	// expiry is already past, so the lease is tried again at once.
	retry := *cur
	retry.ExpireTime = x.st.c.now().Add(delay)
	x.records[rec.key()] = &retry
	heap.Push(&x.due, dueItem{key: rec.key(), at: retry.ExpireTime})
}

// popDue takes the records due at now off the heap. Heap items whose
// record was renewed or removed since are stale and skipped.
func (x *expiration) popDue(now time.Time) []*leaseRecord {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []*leaseRecord
	for x.due.Len() > 0 && !x.due[0].at.After(now) {
		item := heap.Pop(&x.due).(dueItem)
		rec := x.records[item.key]
		if rec == nil || !rec.ExpireTime.Equal(item.at) {
			continue
		}
		out = append(out, rec)
	}
	return out
}

// dueItem is one scheduled expiry.
type dueItem struct {
	key string
	at  time.Time
}

// dueHeap is a min-heap of expiries.
type dueHeap []dueItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(v any)        { *h = append(*h, v.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	item := old[len(old)-1]
	*h = old[:len(old)-1]
	return item
}

// underPrefix reports whether p is prefix itself or lies below it, whole
// segments only.
func underPrefix(p, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return false
	}
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}
