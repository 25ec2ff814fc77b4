package agent

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// ReadyPath is the readiness probe every listener serves: 200 once every
// template has rendered at least once, 503 before.
const ReadyPath = "/agent/v1/ready"

// listenerServer is one running listener.
type listenerServer struct {
	srv *http.Server
	ln  net.Listener
}

// startListeners opens every listener; the caller closes them.
func startListeners(c *Config, transport http.RoundTripper, hub *tokenHub, ready *readiness, log *slog.Logger) ([]*listenerServer, error) {
	var out []*listenerServer
	for _, l := range c.Listeners {
		ls, err := startListener(c, l, transport, hub, ready, log)
		if err != nil {
			for _, o := range out {
				_ = o.srv.Close()
			}
			return nil, err
		}
		out = append(out, ls)
	}
	return out, nil
}

func startListener(c *Config, l *Listener, transport http.RoundTripper, hub *tokenHub, ready *readiness, log *slog.Logger) (*listenerServer, error) {
	mux := http.NewServeMux()
	mux.HandleFunc(ReadyPath, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": []string{"unsupported operation"}})
			return
		}
		if !ready.ready() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "errors": []string{"templates have not all rendered yet"}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ready": true})
	})
	proxy := c.proxyFor(l)
	if proxy != nil {
		target, err := url.Parse(c.Vault.Address)
		if err != nil {
			return nil, fmt.Errorf("listener %s: vault address: %w", l.Address, err)
		}
		mux.Handle("/v1/", apiProxy(target, transport, hub, proxy.UseAutoAuthToken, log))
	}
	var tlsConf *tls.Config
	if !l.TLSDisable {
		cert, err := tls.LoadX509KeyPair(l.TLSCertFile, l.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("listener %s: %w", l.Address, err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", l.Address)
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", l.Address, err)
	}
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }()
	log.Info("listener started", "address", ln.Addr().String(), "tls", tlsConf != nil, "api_proxy", proxy != nil)
	return &listenerServer{srv: srv, ln: ln}, nil
}

func (ls *listenerServer) shutdown(ctx context.Context) {
	if err := ls.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		_ = ls.srv.Close()
	}
}

// apiProxy forwards /v1/ to the server, adding the agent's token as
// use_auto_auth_token says.
func apiProxy(target *url.URL, transport http.RoundTripper, hub *tokenHub, use string, log *slog.Logger) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
			has := pr.In.Header.Get("X-Vault-Token") != "" || strings.HasPrefix(pr.In.Header.Get("Authorization"), "Bearer ")
			if use == AutoAuthTokenForce || (use == AutoAuthTokenOn && !has) {
				if tok := hub.current(); tok != "" {
					pr.Out.Header.Del("Authorization")
					pr.Out.Header.Set("X-Vault-Token", tok)
				}
			}
		},
		Transport: transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Warn("api_proxy: request to the server failed", "path", r.URL.Path, "error", err)
			writeJSON(w, http.StatusBadGateway, map[string]any{"errors": []string{"agent: the server could not be reached"}})
		},
	}
	return rp
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
