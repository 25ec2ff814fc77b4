package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"
)

// Sampling of the contention profiles while pprof_addr is set. The block
// profile records on average one blocking event per 10 µs spent blocked
// (events shorter than that are sampled in proportion to their length);
// the mutex profile records one contended unlock in 100. Both stay off
// (Go's default) when pprof_addr is unset.
const (
	blockProfileRate     = 10_000 // nanoseconds
	mutexProfileFraction = 100
)

// pprofServer serves net/http/pprof's handlers on a listener of their
// own, never on an API listener.
type pprofServer struct {
	srv *http.Server
	ln  net.Listener
}

// listenPprof binds addr (config has checked that it is a loopback
// address) and refuses a socket the kernel put anywhere else, as a name
// such as localhost could resolve. It turns on the contention profiles,
// which are process-wide settings.
func listenPprof(addr string, logger *slog.Logger) (*pprofServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprof_addr: listen on %s: %w", addr, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		_ = ln.Close()
		return nil, fmt.Errorf("pprof_addr: %s bound %s, which is not a loopback address", addr, ln.Addr())
	}
	runtime.SetBlockProfileRate(blockProfileRate)
	runtime.SetMutexProfileFraction(mutexProfileFraction)
	logger.Info("pprof listener started: profiles on loopback only", "addr", ln.Addr().String())
	return &pprofServer{
		srv: &http.Server{Handler: pprofMux(), ReadHeaderTimeout: 10 * time.Second},
		ln:  ln,
	}, nil
}

// pprofMux routes /debug/pprof/ to the profiles on a mux of its own (the
// handlers net/http/pprof registers on http.DefaultServeMux are never
// served). The cmdline handler is left out: the command line can carry
// -dev-root-token-id.
func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", http.NotFound)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// serve runs until close; a failure is sent to errc.
func (p *pprofServer) serve(errc chan<- error) {
	if err := p.srv.Serve(p.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		errc <- fmt.Errorf("pprof listener: %w", err)
	}
}

// close stops the listener at once: a CPU profile or trace in progress is
// cut short rather than holding up the server's shutdown.
func (p *pprofServer) close() error {
	err := p.srv.Close()
	// Serve closes the listener; without a Serve (Shutdown before Start)
	// it is still open.
	if lerr := p.ln.Close(); lerr != nil && !errors.Is(lerr, net.ErrClosed) {
		err = errors.Join(err, lerr)
	}
	return err
}
