package kubernetes

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

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
	if conf == nil {
		return nil, errors.New("kubernetes auth: nil backend config")
	}
	opts = opts.withDefaults()
	logger := conf.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	system := conf.System
	if system == nil {
		system = logical.StaticSystemView{}
	}
	metrics := conf.Metrics
	if metrics == nil {
		metrics = logical.DiscardMetrics{}
	}
	return &Backend{
		logger:     logger,
		metrics:    metrics,
		system:     system,
		opts:       opts,
		localToken: newCachedFile(opts.LocalTokenPath, opts.TokenReloadPeriod, system.Now),
		localCA:    newCachedFile(opts.LocalCACertPath, opts.CAReloadPeriod, system.Now),
		clients:    newClientCache(opts.RequestTimeout),
	}, nil
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

// roleNameRE is Vault's rule for names in paths.
var roleNameRE = regexp.MustCompile(`^\w(([\w.@-]+)?\w)?$`)

// HandleRequest implements logical.Backend.
func (b *Backend) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	if req.Operation == logical.RenewOperation {
		return b.renew(ctx, req)
	}
	switch path := strings.Trim(req.Path, "/"); {
	case path == "config":
		switch req.Operation {
		case logical.ReadOperation:
			return b.readConfig(ctx, req)
		case logical.CreateOperation, logical.UpdateOperation:
			return b.writeConfig(ctx, req)
		}
	case path == "login":
		switch req.Operation {
		case logical.CreateOperation, logical.UpdateOperation:
			return b.login(ctx, req)
		}
	case path == "role":
		if req.Operation == logical.ListOperation {
			return b.listRoles(ctx, req)
		}
	case strings.HasPrefix(path, "role/"):
		name := strings.TrimPrefix(path, "role/")
		if !roleNameRE.MatchString(name) {
			return nil, logical.ErrUnsupportedPath
		}
		switch req.Operation {
		case logical.ReadOperation:
			return b.readRole(ctx, req, name)
		case logical.CreateOperation, logical.UpdateOperation:
			return b.writeRole(ctx, req, name)
		case logical.DeleteOperation:
			return b.deleteRole(ctx, req, name)
		}
	default:
		return nil, logical.ErrUnsupportedPath
	}
	return nil, logical.ErrUnsupportedOperation
}

// ExistenceCheck implements logical.Backend: a role write is a create when
// the role does not exist yet. Other paths do not distinguish.
func (b *Backend) ExistenceCheck(ctx context.Context, req *logical.Request) (ok, exists bool, err error) {
	path := strings.Trim(req.Path, "/")
	name, isRole := strings.CutPrefix(path, "role/")
	if !isRole || !roleNameRE.MatchString(name) {
		return false, false, nil
	}
	r, err := loadRole(ctx, req.Storage, name)
	if err != nil {
		return false, false, err
	}
	return true, r != nil, nil
}
