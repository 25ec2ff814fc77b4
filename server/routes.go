package server

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/vaultd/vaultd/logical"
)

// methodList is Vault's LIST verb.
const methodList = "LIST"

// Paths (after /v1/) served by the server itself rather than the core.
const (
	pathInit       = "sys/init"
	pathUnseal     = "sys/unseal"
	pathSealStatus = "sys/seal-status"
	pathSeal       = "sys/seal"
	pathHealth     = "sys/health"
	pathLeader     = "sys/leader"
	pathRaftJoin   = "sys/storage/raft/join"
	pathSnapshot   = "sys/storage/raft/snapshot"
	pathSnapForce  = "sys/storage/raft/snapshot-force"
)

// routes builds the chi router. Middlewares run before routing, in order:
// recover and log, common headers and the request deadline, then path
// normalisation and the sealed gate.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverAndLog, s.commonHeaders, s.normalize)
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		respondError(w, http.StatusNotFound, "")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		respondError(w, http.StatusMethodNotAllowed, "")
	})
	r.Handle("/v1/"+pathInit, http.HandlerFunc(s.handleInit))
	r.Handle("/v1/"+pathUnseal, http.HandlerFunc(s.handleUnseal))
	r.Handle("/v1/"+pathSealStatus, http.HandlerFunc(s.handleSealStatus))
	r.Handle("/v1/"+pathSeal, http.HandlerFunc(s.handleSeal))
	r.Handle("/v1/"+pathHealth, http.HandlerFunc(s.handleHealth))
	r.Handle("/v1/"+pathLeader, http.HandlerFunc(s.handleLeader))
	r.Handle("/v1/"+pathRaftJoin, http.HandlerFunc(s.handleRaftJoin))
	r.Handle("/v1/"+pathSnapshot, http.HandlerFunc(s.handleSnapshot))
	r.Handle("/v1/"+pathSnapForce, http.HandlerFunc(s.handleSnapshot))
	s.operatorRoutes(r)
	r.Handle("/v1/"+pathMetrics, http.HandlerFunc(s.handleMetrics))
	r.Handle("/v1/*", http.HandlerFunc(s.handleLogical))
	return r
}

// servedWhileSealed reports whether a path (after /v1/) answers while the
// core is sealed.
func servedWhileSealed(path string) bool {
	switch path {
	case pathHealth, pathSealStatus, pathInit, pathUnseal, pathLeader, pathRaftJoin, pathMetrics:
		return true
	}
	return false
}

// statusWriter records the status a handler wrote, for the request log and
// for the panic handler, which may only answer if nothing was written yet.
type statusWriter struct {
	http.ResponseWriter
	status int
	// internal is the internal error answered as a 500, for the log.
	internal error
}

func (w *statusWriter) recordInternalError(err error) { w.internal = err }

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recoverAndLog turns a panic into a 500 {"errors":["internal error"]} and
// logs every request as method, path, status and duration. The panic is
// logged with its type and stack, never its value (which could hold request
// data) unless it is a runtime error.
func (s *Server) recoverAndLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.clock()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.logPanic(r, v)
				if sw.status == 0 {
					respondError(sw, http.StatusInternalServerError, "internal error")
				}
			}
			s.logRequest(r, sw.status, s.clock().Sub(start), sw.internal)
		}()
		next.ServeHTTP(sw, r)
	})
}

func (s *Server) logPanic(r *http.Request, v any) {
	attrs := []any{
		"method", r.Method,
		"path", redactPath(r.URL.Path),
		"panic_type", fmt.Sprintf("%T", v),
		"stack", string(debug.Stack()),
	}
	if re, ok := v.(runtime.Error); ok {
		attrs = append(attrs, "panic", re.Error())
	}
	s.logger.ErrorContext(r.Context(), "panic serving request", attrs...)
}

func (s *Server) logRequest(r *http.Request, status int, d time.Duration, internal error) {
	if status == 0 {
		status = http.StatusOK
	}
	level := slogLevelFor(status)
	ctx := r.Context()
	if !s.logger.Enabled(ctx, level) {
		return
	}
	attrs := []any{
		"method", r.Method,
		"path", redactPath(r.URL.Path),
		"status", status,
		"duration", d,
	}
	if internal != nil {
		attrs = append(attrs, "error", internal.Error())
	}
	s.logger.Log(ctx, level, "request", attrs...)
}

// commonHeaders sets the headers every response carries (204s too) and
// bounds the request's context.
func (s *Server) commonHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		if s.maxRequestDuration > 0 {
			ctx, cancel := context.WithTimeout(r.Context(), s.maxRequestDuration)
			defer cancel()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// normalize cleans the /v1/ path, refuses dot segments, answers 503 while
// sealed for every path but the few that must work sealed, and routes chi on
// the cleaned, decoded path. chi routes only the standard methods, so a LIST
// request is routed like a GET; every handler switches on r.Method itself.
func (s *Server) normalize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rctx := chi.RouteContext(r.Context())
		if rest, ok := strings.CutPrefix(r.URL.Path, "/v1/"); ok {
			clean, err := cleanPath(rest)
			if err != nil {
				respondError(w, logical.StatusOf(err), err.Error())
				return
			}
			if !servedWhileSealed(clean) && s.core.Sealed() {
				respondError(w, http.StatusServiceUnavailable, logical.ErrSealed.Error())
				return
			}
			if s.shouldForward(r, clean) {
				s.forward(w, r)
				return
			}
			rctx.RoutePath = "/v1/" + clean
		}
		if r.Method == methodList {
			rctx.RouteMethod = http.MethodGet
		}
		next.ServeHTTP(w, r)
	})
}

// logicalPath is the cleaned request path after /v1/.
func logicalPath(r *http.Request) string {
	if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePath != "" {
		return strings.TrimPrefix(rctx.RoutePath, "/v1/")
	}
	return strings.TrimPrefix(r.URL.Path, "/v1/")
}

// cleanPath refuses "." and ".." segments and empty segments (a leading
// slash or repeated slashes) with a 400 and otherwise returns the path as
// sent, trailing slash kept, so that the core sees exactly the path the
// client named and the ACL is checked against. Vault's router answers such
// paths with a redirect to the cleaned path and writes nothing; a 400 also
// writes nothing and says why.
func cleanPath(p string) (string, error) {
	if !strings.Contains(p, "//") && !strings.Contains(p, ".") && !strings.HasPrefix(p, "/") {
		return p, nil
	}
	rest := strings.TrimSuffix(p, "/")
	for seg := range strings.SplitSeq(rest, "/") {
		switch seg {
		case "":
			return "", logical.InvalidRequest("invalid request path: empty path segments are not allowed")
		case ".", "..":
			return "", logical.InvalidRequest("invalid request path: %q segments are not allowed", seg)
		}
	}
	return p, nil
}
