package kubernetes

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

type countingSink struct {
	mu       sync.Mutex
	counters map[string]float64
	timings  map[string]int
}

func (s *countingSink) IncrCounter(key []string, v float64, labels ...logical.Label) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters[strings.Join(key, ".")+labelText(labels)] += v
}

func (s *countingSink) MeasureSince(key []string, _ time.Time, labels ...logical.Label) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timings[strings.Join(key, ".")+labelText(labels)]++
}

func labelText(labels []logical.Label) string {
	var sb strings.Builder
	for _, l := range labels {
		sb.WriteString("{" + l.Name + "=" + l.Value + "}")
	}
	return sb.String()
}

// A login whose TokenReview cannot reach the API server counts one
// TokenReview error and one timed login; the labels hold no JWT.
func TestLoginMetrics(t *testing.T) {
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := refused.Addr().String()
	refused.Close()

	sink := &countingSink{counters: map[string]float64{}, timings: map[string]int{}}
	e := newTestEnv(t, Options{RequestTimeout: 700 * time.Millisecond})
	b, err := New(&logical.BackendConfig{Storage: e.storage, System: e.b.system, Metrics: sink},
		Options{RequestTimeout: 700 * time.Millisecond, LocalTokenPath: t.TempDir() + "/x", LocalCACertPath: t.TempDir() + "/y"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Cleanup(context.Background()) })
	e.b = b
	e.configure(t, "https://"+addr, testCAPEM(t), nil)
	e.mustDo(t, logical.CreateOperation, "role/my-api-role", walkthroughRole)
	s := newRSASigner(t, "RS256")
	jwt := s.sign(t, podClaims(e.clock.Now(), "default", "default", "u"))
	if _, err := e.do(logical.UpdateOperation, "login", map[string]any{"role": "my-api-role", "jwt": jwt}); err == nil {
		t.Fatal("login against a dead API server succeeded")
	}
	if got := sink.counters["auth.kubernetes.api_error{call=TokenReview}"]; got != 1 {
		t.Fatalf("TokenReview errors = %v (%v)", got, sink.counters)
	}
	if sink.timings["auth.kubernetes.login"] != 1 || sink.timings["auth.kubernetes.api_call{call=TokenReview}"] != 1 {
		t.Fatalf("timings: %v", sink.timings)
	}
	for k := range sink.counters {
		if strings.Contains(k, jwt[:20]) {
			t.Fatalf("a label carries the JWT: %s", k)
		}
	}
}
