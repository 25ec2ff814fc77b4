// Package vaulttest starts a real vaultd in-process for end-to-end tests: a
// node with the registry's engines behind a real HTTP listener on
// 127.0.0.1, initialised and unsealed through the HTTP API with
// github.com/hashicorp/vault/api, the client library the vault CLI uses.
package vaulttest

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/node"
)

// Options say what kind of server to start.
type Options struct {
	// Dir, when set, keeps the data in a bbolt file in that directory;
	// otherwise storage is in memory.
	Dir string
	// Shares and Threshold split the unseal key (1 and 1 when zero).
	Shares, Threshold int
	// NoInit leaves the server uninitialised and sealed.
	NoInit bool
	// NoKV skips mounting KV version 2 at secret/.
	NoKV bool
	// Audit are audit devices declared as in the server config file.
	Audit []*config.AuditDevice
	// DefaultLeaseTTL and MaxLeaseTTL are the server-wide lease limits.
	DefaultLeaseTTL, MaxLeaseTTL time.Duration
	// AllowAuditLogPrefixing sets allow_audit_log_prefixing.
	AllowAuditLogPrefixing bool
}

// Server is a running vaultd.
type Server struct {
	t    testing.TB
	conf *config.Config
	opts Options

	Node *node.Node
	// Addr is the server's URL.
	Addr string
	// Client is a client holding the root token (no token when NoInit).
	Client *api.Client
	// RootToken and Shares are what sys/init answered.
	RootToken string
	Shares    []string

	stopped bool
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Shares == 0 {
		opts.Shares, opts.Threshold = 1, 1
	}
	conf := config.Dev("127.0.0.1:0")
	conf.Audit = opts.Audit
	conf.DefaultLeaseTTL, conf.MaxLeaseTTL = opts.DefaultLeaseTTL, opts.MaxLeaseTTL
	conf.AllowAuditLogPrefixing = opts.AllowAuditLogPrefixing
	if opts.Dir != "" {
		conf.Storage = &config.Storage{Type: config.StorageBbolt, DeclaredType: "bbolt", Path: filepath.Join(opts.Dir, "vaultd.db")}
	}
	s := &Server{t: t, conf: conf, opts: opts}
	s.boot()
	t.Cleanup(s.Stop)
	if opts.NoInit {
		return s
	}
	s.initialise()
	return s
}

// boot builds the node and starts serving.
func (s *Server) boot() {
	s.t.Helper()
	n, err := node.New(context.Background(), s.conf, node.Options{})
	if err != nil {
		s.t.Fatalf("vaulttest: start node: %v", err)
	}
	n.Start()
	s.Node, s.Addr, s.stopped = n, n.Addr(), false
	s.Client = s.NewClient(s.RootToken)
}

func (s *Server) initialise() {
	s.t.Helper()
	resp, err := s.Client.Sys().Init(&api.InitRequest{SecretShares: s.opts.Shares, SecretThreshold: s.opts.Threshold})
	if err != nil {
		s.t.Fatalf("vaulttest: init: %v", err)
	}
	s.RootToken, s.Shares = resp.RootToken, resp.KeysB64
	s.Client.SetToken(s.RootToken)
	s.Unseal(s.Shares[:s.opts.Threshold]...)
	if s.opts.NoKV {
		return
	}
	err = s.Client.Sys().Mount("secret", &api.MountInput{Type: "kv", Options: map[string]string{"version": "2"}})
	if err != nil {
		s.t.Fatalf("vaulttest: mount secret/: %v", err)
	}
}

// Unseal gives shares until the server is unsealed.
func (s *Server) Unseal(shares ...string) {
	s.t.Helper()
	for _, share := range shares {
		st, err := s.Client.Sys().Unseal(share)
		if err != nil {
			s.t.Fatalf("vaulttest: unseal: %v", err)
		}
		if !st.Sealed {
			return
		}
	}
	s.t.Fatalf("vaulttest: still sealed after %d shares", len(shares))
}

// NewClient returns a client for this server holding token.
func (s *Server) NewClient(token string) *api.Client {
	s.t.Helper()
	return NewClient(s.t, s.Addr, token)
}

// NewClient returns a client for the vaultd at addr holding token: no
// retries (a failed request is not acknowledged and must not be re-sent
// behind the test's back), and a connection pool large enough for 64
// concurrent callers, closed when the test ends so that a server stopping
// after it is not kept waiting.
func NewClient(t testing.TB, addr, token string) *api.Client {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = addr
	cfg.MaxRetries = 0
	cfg.Timeout = 30 * time.Second
	if tr, ok := cfg.HttpClient.Transport.(*http.Transport); ok {
		tr.MaxIdleConns = 256
		tr.MaxIdleConnsPerHost = 256
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatalf("vaulttest: client: %v", err)
	}
	c.SetToken(token)
	t.Cleanup(cfg.HttpClient.CloseIdleConnections)
	return c
}

// Stop drains and stops the server; it is safe to call twice.
func (s *Server) Stop() {
	if s.stopped {
		return
	}
	s.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Node.Shutdown(ctx); err != nil {
		s.t.Errorf("vaulttest: shutdown: %v", err)
	}
}

// Restart stops the server and starts it again on the same storage. It
// comes back sealed, on a new address; call Unseal.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.boot()
}
