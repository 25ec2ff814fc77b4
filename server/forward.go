package server

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"time"
)

// HACore is what the server needs from a core on Raft; *core.Core
// satisfies it. A Core without it is never a standby.
type HACore interface {
	// HAEnabled reports whether the core runs on Raft.
	HAEnabled() bool
	// Standby reports whether the node is unsealed but not active.
	Standby() bool
	// LeaderClusterAddr is where the active node's cluster port is.
	LeaderClusterAddr() string
}

// ForwardDialer opens a mutual-TLS connection to a member's cluster port
// (addr is its host:port) for forwarded requests.
type ForwardDialer func(ctx context.Context, addr string) (net.Conn, error)

// forwardedKey marks a request that arrived forwarded: it is never
// forwarded again, so a leadership change cannot make requests loop.
type forwardedKey struct{}

// headerClientAddr carries the client's address (host:port) from the
// standby to the active node, so that token_bound_cidrs and the audit log
// see the client rather than the standby. It is read only from forwarded
// requests, which arrive over mutual TLS from a member; the standby
// overwrites whatever a client sent in it.
const headerClientAddr = "X-Vaultd-Forwarded-Client-Addr"

// ForwardedHandler is the handler for the cluster port's forwarded
// requests: the same routes, answered here whatever this node's role.
func (s *Server) ForwardedHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if addr := r.Header.Get(headerClientAddr); addr != "" {
			if _, _, err := net.SplitHostPort(addr); err == nil {
				r.RemoteAddr = addr
			}
		}
		r.Header.Del(headerClientAddr)
		s.handler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), forwardedKey{}, true)))
	})
}

// servedByStandby are the paths (after /v1/) a standby answers itself:
// its own seal state and health, and joining. sys/seal is answered here
// too (refused, as Vault does): forwarded, it would seal the active node.
func servedByStandby(path string) bool {
	switch path {
	case pathHealth, pathSealStatus, pathInit, pathUnseal, pathSeal, pathLeader, pathRaftJoin:
		return true
	}
	return false
}

// shouldForward reports whether this request goes to the active node.
func (s *Server) shouldForward(r *http.Request, path string) bool {
	if s.proxy == nil || s.ha == nil || servedByStandby(path) {
		return false
	}
	if fw, _ := r.Context().Value(forwardedKey{}).(bool); fw {
		return false
	}
	return s.ha.Standby()
}

// newProxy builds the reverse proxy to the active node's cluster port. The
// URL's host is the leader's address, so pooled connections are per
// leader and a new leader gets new connections.
func (s *Server) newProxy(dial ForwardDialer) *httputil.ReverseProxy {
	tr := &http.Transport{
		DialTLSContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return dial(ctx, addr)
		},
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: s.maxRequestDuration,
	}
	return &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "https"
			pr.Out.URL.Host = s.ha.LeaderClusterAddr()
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Set(headerClientAddr, pr.In.RemoteAddr)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.logger.WarnContext(r.Context(), "forwarding to the active node failed", "error", err)
			respondError(w, http.StatusInternalServerError, errNoActive)
		},
	}
}

// errNoActive is Vault's answer when a standby cannot reach an active node.
const errNoActive = "local node not active but active cluster node not found"

// leaderWait bounds how long a standby that knows no leader yet (just
// unsealed, or during an election) waits for one before answering 500.
const leaderWait = 5 * time.Second

func (s *Server) forward(w http.ResponseWriter, r *http.Request) {
	deadline := time.NewTimer(leaderWait)
	defer deadline.Stop()
	for s.ha.LeaderClusterAddr() == "" {
		select {
		case <-r.Context().Done():
			respondError(w, http.StatusInternalServerError, errNoActive)
			return
		case <-deadline.C:
			respondError(w, http.StatusInternalServerError, errNoActive)
			return
		case <-time.After(25 * time.Millisecond):
		}
	}
	s.proxy.ServeHTTP(w, r)
}
