package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeKV is a stand-in for a KV v2 mount: it records what it was sent and
// answers 200, or 500 for keys containing "bad".
type fakeKV struct {
	mu     sync.Mutex
	gets   map[string]int
	posts  map[string]int
	tokens map[string]bool
}

func newFakeKV(t *testing.T) (*fakeKV, string) {
	t.Helper()
	f := &fakeKV{gets: map[string]int{}, posts: map[string]int{}, tokens: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/v1/kv/data/")
		f.mu.Lock()
		f.tokens[r.Header.Get("X-Vault-Token")] = true
		switch r.Method {
		case http.MethodGet:
			f.gets[key]++
		case http.MethodPost:
			var body struct {
				Data map[string]any `json:"data"`
			}
			b, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(b, &body); err != nil || body.Data["value"] == nil {
				f.mu.Unlock()
				http.Error(w, `{"errors":["bad body"]}`, http.StatusBadRequest)
				return
			}
			f.posts[key]++
		}
		f.mu.Unlock()
		if strings.Contains(key, "bad") {
			http.Error(w, `{"errors":["boom"]}`, http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(`{"data":{}}`))
	}))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func TestRunCountedWrites(t *testing.T) {
	f, addr := newFakeKV(t)
	res, err := Run(context.Background(), Config{Addr: addr + "/", Token: "tok", Mount: "/kv/", Op: OpWrite, Concurrency: 4, Requests: 100, Keys: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 100 || res.Errors != 0 || res.Rate() <= 0 || res.Percentile(50) <= 0 || res.Percentile(99) < res.Percentile(50) {
		t.Fatalf("result: %+v (%s)", res, res)
	}
	total := 0
	for key, n := range f.posts {
		if !strings.HasPrefix(key, "vaultd-load/write/w") {
			t.Errorf("unexpected key %q", key)
		}
		total += n
	}
	// 4 writers share 100 tickets; each cycles over its own 5 keys, so a
	// writer that drew m tickets wrote keys k0..k(min(m,5)-1). Some writer
	// drew at least 25, so at least 5 keys and at most 20 were written.
	if total != 100 || len(f.posts) < 5 || len(f.posts) > 20 || len(f.gets) != 0 || !f.tokens["tok"] || len(f.tokens) != 1 {
		t.Fatalf("server saw %d writes on %d keys, %d reads, tokens %v", total, len(f.posts), len(f.gets), f.tokens)
	}
	for key := range f.posts {
		var w, k int
		if _, err := fmt.Sscanf(strings.TrimPrefix(key, "vaultd-load/write/"), "w%d/k%d", &w, &k); err != nil || w < 0 || w > 3 || k < 0 || k > 4 {
			t.Fatalf("key %q is not one of 4 writers' 5 keys", key)
		}
		if k > 0 && f.posts[fmt.Sprintf("vaultd-load/write/w%d/k%d", w, k-1)] == 0 {
			t.Fatalf("writer %d wrote k%d but not k%d", w, k, k-1)
		}
	}
	if !strings.Contains(res.String(), "op=write c=4 requests=100 errors=0") {
		t.Fatalf("String: %s", res)
	}
}

func TestRunTimedReads(t *testing.T) {
	f, addr := newFakeKV(t)
	res, err := Run(context.Background(), Config{Addr: addr, Token: "tok", Mount: "kv", Op: OpRead, Concurrency: 3, Duration: 100 * time.Millisecond, Keys: 7})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Errors != 0 || res.Elapsed < 100*time.Millisecond {
		t.Fatalf("result: %s", res)
	}
	// Each read key was written once before timing started.
	if len(f.posts) != 7 || len(f.gets) != 7 {
		t.Fatalf("prepared %d keys, read %d keys, want 7 and 7", len(f.posts), len(f.gets))
	}
	reads := 0
	for _, n := range f.gets {
		reads += n
	}
	if reads != res.Requests {
		t.Fatalf("server saw %d reads, result says %d", reads, res.Requests)
	}
}

func TestRunCountsErrors(t *testing.T) {
	_, addr := newFakeKV(t)
	res, err := Run(context.Background(), Config{Addr: addr, Mount: "kv", Prefix: "bad", Op: OpWrite, Concurrency: 2, Requests: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 10 || res.Errors != 10 || res.FirstError == nil || !strings.Contains(res.FirstError.Error(), "HTTP 500") {
		t.Fatalf("result: %s, first error %v", res, res.FirstError)
	}
	// A read run whose keys cannot be written fails before timing.
	if _, err := Run(context.Background(), Config{Addr: addr, Mount: "kv", Prefix: "bad", Op: OpRead, Concurrency: 1, Requests: 1}); err == nil {
		t.Fatal("read run over unwritable keys succeeded")
	}
}

func TestConfigRefused(t *testing.T) {
	ok := Config{Addr: "http://x", Op: OpRead, Concurrency: 1, Requests: 1}
	cases := map[string]func(*Config){
		"no address":        func(c *Config) { c.Addr = "" },
		"unknown op":        func(c *Config) { c.Op = "delete" },
		"no clients":        func(c *Config) { c.Concurrency = 0 },
		"no bound":          func(c *Config) { c.Requests = 0 },
		"two bounds":        func(c *Config) { c.Duration = time.Second },
		"negative keys":     func(c *Config) { c.Keys = -1 },
		"negative size":     func(c *Config) { c.ValueSize = -1 },
		"negative requests": func(c *Config) { c.Requests, c.Duration = -1, time.Second },
	}
	for name, mutate := range cases {
		cfg := ok
		mutate(&cfg)
		if _, err := Run(context.Background(), cfg); !errors.Is(err, errConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPercentile(t *testing.T) {
	r := &Result{}
	if r.Percentile(50) != 0 || r.Rate() != 0 {
		t.Fatal("empty result")
	}
	for i := 1; i <= 200; i++ {
		r.latencies = append(r.latencies, time.Duration(i)*time.Millisecond)
	}
	r.Requests, r.Elapsed = 200, 2*time.Second
	for p, want := range map[float64]time.Duration{50: 100 * time.Millisecond, 99: 198 * time.Millisecond, 100: 200 * time.Millisecond, 0.1: time.Millisecond} {
		if got := r.Percentile(p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if r.Rate() != 100 {
		t.Errorf("rate %v", r.Rate())
	}
}
