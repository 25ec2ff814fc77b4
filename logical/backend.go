package logical

import (
	"context"
	"log/slog"
	"time"
)

// Backend is an engine mounted at a path.
type Backend interface {
	// HandleRequest serves one request.
	HandleRequest(ctx context.Context, req *Request) (*Response, error)
	// ExistenceCheck reports, for a POST or PUT, whether the target of the
	// request already exists, so that core can ask the ACL for "create" or
	// "update". ok is false when the path does not distinguish the two, in
	// which case the request is an update.
	ExistenceCheck(ctx context.Context, req *Request) (ok, exists bool, err error)
	// SpecialPaths names the paths, relative to the mount, that need no token
	// or need sudo.
	SpecialPaths() SpecialPaths
}

// SpecialPaths lists path patterns relative to the mount. A pattern is an
// exact path or a prefix ending in "*".
type SpecialPaths struct {
	// Unauthenticated paths are served without a token (an auth method's
	// login path).
	Unauthenticated []string
	// Root paths need the sudo capability in addition to the operation's.
	Root []string
}

// Cleaner is implemented by a backend that must release resources when it
// is unmounted or the server seals.
type Cleaner interface {
	Cleanup(ctx context.Context)
}

// SystemView is what an engine may ask of the server around it.
type SystemView interface {
	// DefaultLeaseTTL and MaxLeaseTTL are the mount's, falling back to the
	// server's.
	DefaultLeaseTTL() time.Duration
	MaxLeaseTTL() time.Duration
	// Now is the server's clock.
	Now() time.Time
}

// BackendConfig is what a Factory receives.
type BackendConfig struct {
	// Storage is the mount's storage view.
	Storage Storage
	// Logger is the engine's logger; never log a secret through it.
	Logger *slog.Logger
	// System answers questions about the mount and the server.
	System SystemView
	// Options are the mount's options ("version" for kv).
	Options map[string]string
	// MountType is the type the mount was created with ("kv", "kv-v2").
	MountType string
	// Metrics receives the engine's metrics (never nil when core builds
	// the config).
	Metrics MetricSink
}

// LoggerOrDiscard is the config's logger, or one that discards where the
// config leaves it out.
func (c *BackendConfig) LoggerOrDiscard() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// SystemOrStatic is the config's system view, or a StaticSystemView where
// the config leaves it out.
func (c *BackendConfig) SystemOrStatic() SystemView {
	if c.System == nil {
		return StaticSystemView{}
	}
	return c.System
}

// Factory builds an engine for a mount.
type Factory func(ctx context.Context, conf *BackendConfig) (Backend, error)

// TokenWatcher is implemented by an engine that keeps state per token (the
// cubbyhole) and must drop it when the token is revoked. Core calls it on
// every mount that implements it.
type TokenWatcher interface {
	TokenRevoked(ctx context.Context, accessor string) error
}
