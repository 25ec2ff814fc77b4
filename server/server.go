package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"
)

// Defaults, as Vault's listener has them.
const (
	// DefaultAddress is where the server listens when Config.Address is empty.
	DefaultAddress = "127.0.0.1:8200"
	// DefaultMaxRequestSize caps a request body when Config.MaxRequestSize
	// is zero: 32 MiB.
	DefaultMaxRequestSize int64 = 32 << 20
	// DefaultMaxRequestDuration bounds the context of one request when
	// Config.MaxRequestDuration is zero.
	DefaultMaxRequestDuration = 90 * time.Second

	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	idleTimeout       = 5 * time.Minute
)

// TLS minimum versions accepted in Config.TLSMinVersion.
const (
	TLS12 = "tls12"
	TLS13 = "tls13"
)

// Config is what New needs to build a Server.
type Config struct {
	// Core serves the requests. Required.
	Core Core
	// Logger receives one line per request (method, path, status,
	// duration) and panics. Nil discards logs.
	Logger *slog.Logger
	// Clock is the server's clock; nil means time.Now.
	Clock func() time.Time

	// Address is the TCP address ListenAndServe and Listen bind
	// (DefaultAddress when empty).
	Address string
	// TLSDisable serves plain HTTP. Without it, TLSCertFile and TLSKeyFile
	// are required.
	TLSDisable bool
	// TLSCertFile and TLSKeyFile are PEM files: the certificate (chain)
	// and its private key.
	TLSCertFile string
	TLSKeyFile  string
	// TLSMinVersion is "tls12" (the default when empty) or "tls13". Older
	// versions are refused.
	TLSMinVersion string

	// MaxRequestSize caps a request body in bytes: 0 means
	// DefaultMaxRequestSize, a negative value means no cap (as Vault's
	// max_request_size).
	MaxRequestSize int64
	// MaxRequestDuration bounds each request's context: 0 means
	// DefaultMaxRequestDuration, a negative value means no bound.
	MaxRequestDuration time.Duration
	// Limits are the HTTP timeouts and JSON body limits (defaults when
	// zero).
	Limits Limits
	// Metrics, when set, serves GET sys/metrics and times requests.
	Metrics MetricsSource
	// UnauthenticatedMetrics serves sys/metrics without a token.
	UnauthenticatedMetrics bool

	// ForwardDial, with a Core on Raft (HACore), makes a standby forward
	// client requests to the active node over the cluster port.
	ForwardDial ForwardDialer
	// RaftJoin serves sys/storage/raft/join (on a node that is not yet a
	// member, so while sealed); nil answers 404.
	RaftJoin http.Handler
}

// Server is vaultd's HTTP server. Build it with New; it is safe for
// concurrent use.
type Server struct {
	core               Core
	logger             *slog.Logger
	clock              func() time.Time
	address            string
	maxRequestSize     int64
	maxRequestDuration time.Duration
	tlsConfig          *tls.Config
	limits             Limits
	metrics            MetricsSource
	unauthMetrics      bool
	// certs holds the listener's certificate, reloaded by ReloadTLS; nil
	// without TLS.
	certs *certReloader

	handler http.Handler
	srv     *http.Server

	ha       HACore
	proxy    *httputil.ReverseProxy
	raftJoin http.Handler

	mu   sync.Mutex
	addr net.Addr
}

// New validates conf, loads the TLS certificate when TLS is on, and builds
// the server. It does not listen yet.
func New(conf Config) (*Server, error) {
	if conf.Core == nil {
		return nil, errors.New("server: Config.Core is required")
	}
	s := &Server{
		core:               conf.Core,
		logger:             conf.Logger,
		clock:              conf.Clock,
		address:            conf.Address,
		maxRequestSize:     conf.MaxRequestSize,
		maxRequestDuration: conf.MaxRequestDuration,
		limits:             conf.Limits.withDefaults(),
		metrics:            conf.Metrics,
		unauthMetrics:      conf.UnauthenticatedMetrics,
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.address == "" {
		s.address = DefaultAddress
	}
	if s.maxRequestSize == 0 {
		s.maxRequestSize = DefaultMaxRequestSize
	}
	if s.maxRequestDuration == 0 {
		s.maxRequestDuration = DefaultMaxRequestDuration
	}
	if !conf.TLSDisable {
		s.certs = &certReloader{certFile: conf.TLSCertFile, keyFile: conf.TLSKeyFile}
		tlsConf, err := loadTLSConfig(s.certs, conf.TLSMinVersion)
		if err != nil {
			return nil, err
		}
		s.tlsConfig = tlsConf
	}
	if ha, ok := conf.Core.(HACore); ok && ha.HAEnabled() {
		s.ha = ha
		if conf.ForwardDial != nil {
			s.proxy = s.newProxy(conf.ForwardDial)
		}
	}
	s.raftJoin = conf.RaftJoin
	s.handler = s.routes()
	s.srv = &http.Server{
		Handler:           s.handler,
		TLSConfig:         s.tlsConfig,
		ReadHeaderTimeout: s.limits.ReadHeaderTimeout,
		ReadTimeout:       s.limits.ReadTimeout,
		WriteTimeout:      s.limits.WriteTimeout,
		IdleTimeout:       s.limits.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelInfo),
	}
	return s, nil
}

// loadTLSConfig reads the certificate and key and builds a TLS config with
// a minimum of TLS 1.2.
func loadTLSConfig(certs *certReloader, minVersion string) (*tls.Config, error) {
	if certs.certFile == "" || certs.keyFile == "" {
		return nil, errors.New("server: tls_cert_file and tls_key_file are required unless tls_disable is set")
	}
	var min uint16
	switch minVersion {
	case "", TLS12:
		min = tls.VersionTLS12
	case TLS13:
		min = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("server: tls_min_version %q is not supported: use %q or %q", minVersion, TLS12, TLS13)
	}
	if err := certs.reload(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:     min,
		GetCertificate: certs.get,
	}, nil
}

// Handler returns the server's HTTP handler, for tests and for embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// TLS reports whether the server serves TLS.
func (s *Server) TLS() bool { return s.tlsConfig != nil }

// Listen binds Config.Address. Pass the listener to Serve; its Addr (and
// the server's Addr) is the bound address, useful with port 0.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.address)
	if err != nil {
		return nil, fmt.Errorf("server: listening on %s: %w", s.address, err)
	}
	s.setAddr(ln.Addr())
	return ln, nil
}

// Serve serves on ln (with TLS unless TLSDisable) until Shutdown, after which
// it returns nil. It closes ln.
func (s *Server) Serve(ln net.Listener) error {
	s.setAddr(ln.Addr())
	var err error
	if s.tlsConfig != nil {
		// ServeTLS takes the certificate from srv.TLSConfig and adds HTTP/2.
		err = s.srv.ServeTLS(ln, "", "")
	} else {
		err = s.srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ListenAndServe binds Config.Address and serves on it until Shutdown.
func (s *Server) ListenAndServe() error {
	ln, err := s.Listen()
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

func (s *Server) setAddr(a net.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addr = a
}

// Addr returns the bound address once Listen or Serve has been called, nil
// before.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Shutdown stops accepting connections and waits for in-flight requests to
// finish, or for ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	return nil
}
