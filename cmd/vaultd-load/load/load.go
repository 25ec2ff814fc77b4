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
	// OpMixed is reads of the read keys with every tenth request a write
	// of the client's own keys.
	OpMixed Op = "mixed"
	// OpLogin is a JWT login (auth/<LoginMount>/login) with a token signed
	// by a key the run configures; each login mints and stores a token.
	OpLogin Op = "login"
)

// mixedWriteEvery makes every mixedWriteEvery-th request of a mixed run a
// write.
const mixedWriteEvery = 10

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
	// SkipPrepare skips writing the read keys: they are there from an
	// earlier run with the same Prefix and Keys.
	SkipPrepare bool
	// LoginMount is the JWT auth mount a login run enables and configures
	// ("vaultd-load-jwt" when empty).
	LoginMount string
	// ServerPID, when set, is the server's process id on this machine:
	// the run reads its CPU time from /proc before and after and reports
	// the server CPU per request.
	ServerPID int
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
	// ServerCPU is the CPU time (user + system) the server process used
	// during the timed part; zero unless Config.ServerPID was set.
	ServerCPU time.Duration
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

// CPUPerRequest is the server CPU time per request; zero when the server
// CPU was not measured.
func (r *Result) CPUPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.ServerCPU / time.Duration(r.Requests)
}

// String is one line: op, clients, requests, errors, rate, p50, p99 and
// max, and the server CPU per request when it was measured.
func (r *Result) String() string {
	s := fmt.Sprintf("op=%s c=%d requests=%d errors=%d elapsed=%s rate=%.0f req/s p50=%s p99=%s max=%s",
		r.Op, r.Concurrency, r.Requests, r.Errors, r.Elapsed.Round(time.Millisecond), r.Rate(),
		fmtLatency(r.Percentile(50)), fmtLatency(r.Percentile(99)), fmtLatency(r.Percentile(100)))
	if r.ServerCPU > 0 {
		s += fmt.Sprintf(" server_cpu=%s server_cpu/req=%.1fµs", r.ServerCPU.Round(time.Millisecond),
			float64(r.ServerCPU.Nanoseconds())/1e3/float64(max(r.Requests, 1)))
	}
	return s
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
	case c.Op != OpRead && c.Op != OpWrite && c.Op != OpMixed && c.Op != OpLogin:
		return fmt.Errorf("%w: op %q (want read, write, mixed or login)", errConfig, c.Op)
	case c.Concurrency < 1:
		return fmt.Errorf("%w: concurrency %d (want at least 1)", errConfig, c.Concurrency)
	case (c.Requests > 0) == (c.Duration > 0):
		return fmt.Errorf("%w: give exactly one of a request count and a duration", errConfig)
	case c.Requests < 0 || c.Keys < 0 || c.ValueSize < 0 || c.ServerPID < 0:
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
	if c.LoginMount == "" {
		c.LoginMount = "vaultd-load-jwt"
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
	switch cfg.Op {
	case OpRead, OpMixed:
		if err := r.prepareReads(ctx); err != nil {
			return nil, err
		}
	case OpLogin:
		if err := r.prepareLogins(ctx); err != nil {
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
	jwts    []string     // one signed JWT per client, for a login run
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

// prepareReads writes every key a read run reads, with Concurrency
// writers, so that a run over a million keys can fill its store.
func (r *runner) prepareReads(ctx context.Context) error {
	if r.cfg.SkipPrepare {
		return nil
	}
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		first atomic.Value
	)
	for range min(r.cfg.Concurrency, r.cfg.Keys) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first.Load() == nil {
				i := int(next.Add(1)) - 1
				if i >= r.cfg.Keys {
					return
				}
				if err := r.do(ctx, http.MethodPost, r.readKey(i), r.writeBody(i)); err != nil {
					first.CompareAndSwap(nil, fmt.Errorf("load: prepare %s: %w", r.readKey(i), err))
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := first.Load().(error); err != nil {
		return err
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
	var cpu0 time.Duration
	if r.cfg.ServerPID > 0 {
		var err error
		if cpu0, err = ProcessCPU(r.cfg.ServerPID); err != nil {
			return nil, err
		}
	}
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
	if r.cfg.ServerPID > 0 {
		cpu1, err := ProcessCPU(r.cfg.ServerPID)
		if err != nil {
			return nil, err
		}
		res.ServerCPU = cpu1 - cpu0
	}
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
		case OpMixed:
			if n%mixedWriteEvery == mixedWriteEvery-1 {
				err = r.do(ctx, http.MethodPost, r.writeKey(w, n%r.cfg.Keys), r.writeBody(n))
			} else {
				err = r.do(ctx, http.MethodGet, r.readKey((w+n*r.cfg.Concurrency)%r.cfg.Keys), "")
			}
		case OpLogin:
			_, err = r.send(ctx, http.MethodPost, r.loginPath(), r.loginBody(w), "")
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

// do sends one KV v2 data request with the run's token and requires a 2xx.
func (r *runner) do(ctx context.Context, method, key, body string) error {
	_, err := r.send(ctx, method, "/v1/"+r.cfg.Mount+"/data/"+key, body, r.cfg.Token)
	return err
}

// send sends one request to path and requires a 2xx; the body is read to
// the end so the connection is reused, and returned.
func (r *runner) send(ctx context.Context, method, path, body, token string) ([]byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.cfg.Addr+path, rd)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.cfg.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	return data, nil
}
