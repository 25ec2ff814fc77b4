package kube

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"
)

// skipReason is what a test that needs a cluster says under -short.
const skipReason = "needs a real Kubernetes API server (etcd + kube-apiserver " + Version +
	"); skipped under -short. Run without -short; build the binaries first with scripts/kube-harness-build"

// buildTimeout bounds the first build of the binaries when a test finds the
// cache empty. `go test`'s own -timeout (10 minutes by default) may be
// shorter: CI runs scripts/kube-harness-build before the tests.
const buildTimeout = 25 * time.Minute

// Start gives one test a cluster of its own, stopped when the test ends.
// Under -short it skips the test. Starting takes about five seconds once
// the binaries are cached.
func Start(ctx context.Context, t testing.TB) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip(skipReason)
	}
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	c, err := startIn(ctx, t.TempDir(), Options{Logger: testLogger()})
	if err != nil {
		t.Fatalf("start Kubernetes API server: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// Shared is one cluster for all the tests of a package, started by the
// first test that asks for it. Declare it in a _test.go file and stop it
// from TestMain (Main does both):
//
//	var cluster kube.Shared
//
//	func TestMain(m *testing.M) { cluster.Main(m) }
//
//	func TestLogin(t *testing.T) {
//		c := cluster.Get(t)
//		...
//	}
type Shared struct {
	// Options are used when the cluster starts; set them before the first Get.
	Options Options

	once sync.Once
	c    *Cluster
	err  error
}

// Get returns the shared cluster, starting it on first use. It skips the
// test under -short and fails it if the cluster could not start (a start
// failure is remembered: later tests fail at once rather than retrying).
func (s *Shared) Get(t testing.TB) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip(skipReason)
	}
	s.once.Do(func() {
		opts := s.Options
		if opts.Logger == nil {
			opts.Logger = testLogger()
		}
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		s.c, s.err = StartCluster(ctx, opts)
	})
	if s.err != nil {
		t.Fatalf("start Kubernetes API server: %v", s.err)
	}
	return s.c
}

// Stop stops the cluster if one was started.
func (s *Shared) Stop() {
	if s.c != nil {
		s.c.Stop()
	}
}

// Main is a TestMain body: it runs the tests, stops the cluster if one
// was started, and exits with the tests' code.
func (s *Shared) Main(m *testing.M) {
	code := m.Run()
	s.Stop()
	os.Exit(code)
}

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
