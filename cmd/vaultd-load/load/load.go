package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Op is the kind of request a run sends.
type Op string

// The operations a run can measure.
const (
	// OpRead is GET <mount>/data/<key> of keys written before timing starts.
	OpRead Op = "read"
	// OpWrite is POST <mount>/data/<key> with a new value each time; each
	// client writes its own keys, so writers never wait on each other's
	// key locks.
	OpWrite Op = "write"
)

// Config says what to run. Addr, Token, Op and Concurrency are required;
// exactly one of Requests and Duration bounds the run.
type Config struct {
	// Addr is the server URL, e.g. http://127.0.0.1:8200.
	Addr string
	// Token is sent as X-Vault-Token.
	Token string
	// Mount is the KV v2 mount path ("secret" when empty).
	Mount string
	// Prefix is the key prefix under the mount ("vaultd-load" when empty).
	Prefix string
	// Op is read or write.
	Op Op
	// Concurrency is the number of clients, each with one request in
	// flight at a time.
	Concurrency int
	// Requests stops the run after this many requests in all.
	Requests int
	// Duration stops the run after this long.
	Duration time.Duration
	// Keys is the number of keys read, or written by each client (16
	// when zero).
	Keys int
	// ValueSize is the length in bytes of the value written (64 when zero).
	ValueSize int
	// Client sends the requests; nil gives a client that keeps one idle
	// connection per worker.
	Client *http.Client
}

// Result is what a run measured.
type Result struct {
	Op          Op
	Concurrency int
	// Requests counts the responses received, Errors those that were not
	// a 2xx or failed to arrive.
	Requests, Errors int
	// FirstError describes the first failure, if any.
	FirstError error
	// Elapsed is the wall time of the timed part of the run.
	Elapsed time.Duration
	// latencies are every request's round trip, sorted.
	latencies []time.Duration
}

// Rate is requests per second.
func (r *Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile is the nearest-rank p-th percentile latency (0 < p <= 100).
func (r *Result) Percentile(p float64) time.Duration {
	n := len(r.latencies)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(n))) - 1
	return r.latencies[min(max(i, 0), n-1)]
}

// String is one line: op, clients, requests, errors, rate, p50 and p99.
func (r *Result) String() string {
	return fmt.Sprintf("op=%s c=%d requests=%d errors=%d elapsed=%s rate=%.0f req/s p50=%s p99=%s max=%s",
		r.Op, r.Concurrency, r.Requests, r.Errors, r.Elapsed.Round(time.Millisecond), r.Rate(),
		fmtLatency(r.Percentile(50)), fmtLatency(r.Percentile(99)), fmtLatency(r.Percentile(100)))
}

func fmtLatency(d time.Duration) string {
	return d.Round(time.Microsecond).String()
}

// errConfig reports an unusable Config.
var errConfig = errors.New("load: bad config")

func (c *Config) check() error {
	switch {
	case c.Addr == "":
		return fmt.Errorf("%w: no address", errConfig)
	case c.Op != OpRead && c.Op != OpWrite:
		return fmt.Errorf("%w: op %q (want read or write)", errConfig, c.Op)
	case c.Concurrency < 1:
		return fmt.Errorf("%w: concurrency %d (want at least 1)", errConfig, c.Concurrency)
	case (c.Requests > 0) == (c.Duration > 0):
		return fmt.Errorf("%w: give exactly one of a request count and a duration", errConfig)
	case c.Requests < 0 || c.Keys < 0 || c.ValueSize < 0:
		return fmt.Errorf("%w: negative count", errConfig)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Mount == "" {
		c.Mount = "secret"
	}
	if c.Prefix == "" {
		c.Prefix = "vaultd-load"
	}
	if c.Keys == 0 {
		c.Keys = 16
	}
	if c.ValueSize == 0 {
		c.ValueSize = 64
	}
	c.Addr = strings.TrimSuffix(c.Addr, "/")
	c.Mount = strings.Trim(c.Mount, "/")
	if c.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = c.Concurrency * 2
		tr.MaxIdleConnsPerHost = c.Concurrency * 2
		c.Client = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	}
	return c
}

// Run writes the keys a read run needs, then runs the clients until the
// request count or the duration is reached, and returns the measurements.
// ctx cancels the run; the result so far is returned with ctx's error.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	r := &runner{cfg: cfg, value: strings.Repeat("v", cfg.ValueSize)}
	if cfg.Op == OpRead {
		if err := r.prepareReads(ctx); err != nil {
			return nil, err
		}
	}
	return r.run(ctx)
}

// runner is one run's state.
type runner struct {
	cfg     Config
	value   string
	tickets atomic.Int64 // requests handed out, for a counted run
	stop    atomic.Bool  // set when the duration is up
}

func (r *runner) readKey(i int) string {
	return fmt.Sprintf("%s/read/k%d", r.cfg.Prefix, i)
}

func (r *runner) writeKey(worker, i int) string {
	return fmt.Sprintf("%s/write/w%d/k%d", r.cfg.Prefix, worker, i)
}

func (r *runner) writeBody(n int) string {
	return fmt.Sprintf(`{"data":{"value":%q,"n":%d}}`, r.value, n)
}

// prepareReads writes every key a read run reads.
func (r *runner) prepareReads(ctx context.Context) error {
	for i := range r.cfg.Keys {
		if err := r.do(ctx, http.MethodPost, r.readKey(i), r.writeBody(i)); err != nil {
			return fmt.Errorf("load: prepare %s: %w", r.readKey(i), err)
		}
	}
	return nil
}

// next reports whether a worker may send another request.
func (r *runner) next(ctx context.Context) bool {
	if ctx.Err() != nil || r.stop.Load() {
		return false
	}
	if r.cfg.Requests > 0 {
		return r.tickets.Add(1) <= int64(r.cfg.Requests)
	}
	return true
}

func (r *runner) run(ctx context.Context) (*Result, error) {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		res     = &Result{Op: r.cfg.Op, Concurrency: r.cfg.Concurrency}
		perWork = make([][]time.Duration, r.cfg.Concurrency)
	)
	start := time.Now()
	if r.cfg.Duration > 0 {
		timer := time.AfterFunc(r.cfg.Duration, func() { r.stop.Store(true) })
		defer timer.Stop()
	}
	for w := range r.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat, errs, first := r.worker(ctx, w)
			perWork[w] = lat
			mu.Lock()
			defer mu.Unlock()
			res.Errors += errs
			if res.FirstError == nil {
				res.FirstError = first
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	for _, lat := range perWork {
		res.latencies = append(res.latencies, lat...)
	}
	slices.Sort(res.latencies)
	res.Requests = len(res.latencies)
	return res, ctx.Err()
}

// worker sends requests one at a time and returns each one's latency, the
// number that failed and the first failure.
func (r *runner) worker(ctx context.Context, w int) (lat []time.Duration, errs int, first error) {
	for n := 0; r.next(ctx); n++ {
		var err error
		begin := time.Now()
		switch r.cfg.Op {
		case OpRead:
			err = r.do(ctx, http.MethodGet, r.readKey((w+n*r.cfg.Concurrency)%r.cfg.Keys), "")
		case OpWrite:
			err = r.do(ctx, http.MethodPost, r.writeKey(w, n%r.cfg.Keys), r.writeBody(n))
		}
		lat = append(lat, time.Since(begin))
		if err != nil {
			errs++
			if first == nil {
				first = err
			}
		}
	}
	return lat, errs, first
}

// do sends one request and requires a 2xx; the body is read to the end so
// the connection is reused.
func (r *runner) do(ctx context.Context, method, key, body string) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	url := r.cfg.Addr + "/v1/" + r.cfg.Mount + "/data/" + key
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("X-Vault-Token", r.cfg.Token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read body: %w", method, key, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, key, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	return nil
}
