package jwt

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/vaultd/vaultd/auth/authutil"
	"github.com/vaultd/vaultd/logical"
)

// Defaults for Options.
const (
	DefaultFetchTimeout       = 10 * time.Second
	DefaultRefreshInterval    = time.Hour
	DefaultMinRefreshInterval = 30 * time.Second
)

// Options are the parts of the backend that tests (and unusual deployments)
// change. The zero value means the defaults above.
type Options struct {
	// FetchTimeout bounds each fetch of a discovery document or a JWKS,
	// connection included.
	FetchTimeout time.Duration
	// RefreshInterval is how old cached remote keys may grow before a login
	// starts a background refresh (the login itself uses the cached keys).
	RefreshInterval time.Duration
	// MinRefreshInterval is the least time between two fetches caused by
	// tokens naming a key ID the cache does not hold.
	MinRefreshInterval time.Duration
	// ObserveFetch, when set, is told of every fetch of remote keys (for
	// metrics and tests). It must be safe for concurrent use.
	ObserveFetch func(url string, err error)
}

func (o Options) withDefaults() Options {
	if o.FetchTimeout <= 0 {
		o.FetchTimeout = DefaultFetchTimeout
	}
	if o.RefreshInterval <= 0 {
		o.RefreshInterval = DefaultRefreshInterval
	}
	if o.MinRefreshInterval <= 0 {
		o.MinRefreshInterval = DefaultMinRefreshInterval
	}
	return o
}

// Backend is the JWT/OIDC auth method. Create it with Factory or New.
type Backend struct {
	logger *slog.Logger
	system logical.SystemView
	opts   Options

	// keysMu guards keys, the key cache of the current configuration.
	keysMu sync.Mutex
	keys   *keyCache

	// rr routes requests to the handlers below.
	rr *authutil.RoleRoutes

	// writeMu serialises role and config writes.
	writeMu sync.Mutex

	// bg is the context of background refreshes, cancelled by Cleanup;
	// wg counts them.
	bg     context.Context
	stopBG context.CancelFunc
	wg     sync.WaitGroup
}

var (
	_ logical.Backend = (*Backend)(nil)
	_ logical.Cleaner = (*Backend)(nil)
)

// Factory builds the auth method with default Options; register it under
// the type names "jwt" and "oidc".
func Factory(ctx context.Context, conf *logical.BackendConfig) (logical.Backend, error) {
	return New(conf, Options{})
}

// New builds the auth method with the given options.
func New(conf *logical.BackendConfig, opts Options) (*Backend, error) {
	logger, system, err := authutil.Defaults(conf, "jwt auth")
	if err != nil {
		return nil, err
	}
	bg, stop := context.WithCancel(context.Background())
	b := &Backend{
		logger: logger,
		system: system,
		opts:   opts.withDefaults(),
		bg:     bg,
		stopBG: stop,
	}
	b.rr = b.routes()
	return b, nil
}

// SpecialPaths implements logical.Backend: login needs no token.
func (b *Backend) SpecialPaths() logical.SpecialPaths {
	return logical.SpecialPaths{Unauthenticated: []string{"login"}}
}

// Cleanup implements logical.Cleaner: it stops background refreshes and
// drops the cached keys.
func (b *Backend) Cleanup(context.Context) {
	b.stopBG()
	b.wg.Wait()
	b.keysMu.Lock()
	b.keys = nil
	b.keysMu.Unlock()
}

// HandleRequest implements logical.Backend.
func (b *Backend) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	return b.rr.HandleRequest(ctx, req)
}

// ExistenceCheck implements logical.Backend: a role write is a create when
// the role does not exist yet. Other paths do not distinguish.
func (b *Backend) ExistenceCheck(ctx context.Context, req *logical.Request) (ok, exists bool, err error) {
	return b.rr.ExistenceCheck(ctx, req)
}

func (b *Backend) routes() *authutil.RoleRoutes {
	return &authutil.RoleRoutes{
		Renew: b.renew, ReadConfig: b.readConfig, WriteConfig: b.writeConfig,
		Login: b.login, ListRoles: b.listRoles,
		ReadRole: b.readRole, WriteRole: b.writeRole, DeleteRole: b.deleteRole,
		RoleExists: func(ctx context.Context, s logical.Storage, name string) (bool, error) {
			r, err := loadRole(ctx, s, name)
			return r != nil, err
		},
	}
}
