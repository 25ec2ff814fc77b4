package kubernetes

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/vaultd/vaultd/auth/authutil"
	"github.com/vaultd/vaultd/logical"
)

// Paths of the pod's own service-account credentials, read when vaultd runs
// in a pod and the configuration names no CA or reviewer JWT.
const (
	DefaultLocalTokenPath  = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	DefaultLocalCACertPath = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
)

// Defaults for Options.
const (
	DefaultRequestTimeout    = 10 * time.Second
	DefaultTokenReloadPeriod = time.Minute
	DefaultCAReloadPeriod    = time.Hour
)

// Options are the parts of the backend that tests (and unusual deployments)
// change. The zero value means the defaults above.
type Options struct {
	// LocalTokenPath and LocalCACertPath are the pod's service-account
	// token and CA files.
	LocalTokenPath  string
	LocalCACertPath string
	// RequestTimeout bounds each call to the API server (TokenReview,
	// namespace lookup), connection included.
	RequestTimeout time.Duration
	// TokenReloadPeriod is how long a read of the local token file is
	// reused; the kubelet rotates the file, so it is read again after this.
	TokenReloadPeriod time.Duration
	// CAReloadPeriod is the same for the local CA file.
	CAReloadPeriod time.Duration
	// ObserveAPICall, when set, is told how long each call to the API
	// server took ("TokenReview" or "namespace"), for metrics and
	// benchmarks. It must be safe for concurrent use.
	ObserveAPICall func(call string, took time.Duration, err error)
}

func (o Options) withDefaults() Options {
	if o.LocalTokenPath == "" {
		o.LocalTokenPath = DefaultLocalTokenPath
	}
	if o.LocalCACertPath == "" {
		o.LocalCACertPath = DefaultLocalCACertPath
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.TokenReloadPeriod <= 0 {
		o.TokenReloadPeriod = DefaultTokenReloadPeriod
	}
	if o.CAReloadPeriod <= 0 {
		o.CAReloadPeriod = DefaultCAReloadPeriod
	}
	return o
}

// Backend is the Kubernetes auth method. Create it with Factory or New.
type Backend struct {
	logger  *slog.Logger
	metrics logical.MetricSink
	system  logical.SystemView
	opts    Options

	localToken *cachedFile
	localCA    *cachedFile
	clients    *clientCache

	// rr routes requests to the handlers below.
	rr *authutil.RoleRoutes

	// writeMu serialises role and config writes, which read, modify and
	// write back one entry.
	writeMu sync.Mutex
}

var (
	_ logical.Backend = (*Backend)(nil)
	_ logical.Cleaner = (*Backend)(nil)
)

// Factory builds the auth method with default Options; register it under
// the type name "kubernetes".
func Factory(ctx context.Context, conf *logical.BackendConfig) (logical.Backend, error) {
	return New(conf, Options{})
}

// New builds the auth method with the given options.
func New(conf *logical.BackendConfig, opts Options) (*Backend, error) {
	logger, system, err := authutil.Defaults(conf, "kubernetes auth")
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	metrics := conf.Metrics
	if metrics == nil {
		metrics = logical.DiscardMetrics{}
	}
	b := &Backend{
		logger:     logger,
		metrics:    metrics,
		system:     system,
		opts:       opts,
		localToken: newCachedFile(opts.LocalTokenPath, opts.TokenReloadPeriod, system.Now),
		localCA:    newCachedFile(opts.LocalCACertPath, opts.CAReloadPeriod, system.Now),
		clients:    newClientCache(opts.RequestTimeout),
	}
	b.rr = b.routes()
	return b, nil
}

// SpecialPaths implements logical.Backend: login needs no token.
func (b *Backend) SpecialPaths() logical.SpecialPaths {
	return logical.SpecialPaths{Unauthenticated: []string{"login"}}
}

// Cleanup implements logical.Cleaner: it drops the cached API client and
// its idle connections.
func (b *Backend) Cleanup(context.Context) {
	b.clients.reset()
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
