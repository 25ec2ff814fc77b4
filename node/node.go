// Package node assembles one running vaultd from a config.Config: the
// physical store, the core with the registry's engines, and an HTTP server
// on every listener. cmd/vaultd runs a node; end-to-end tests start one
// in-process, so both exercise the same wiring.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/core"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/metrics"
	"github.com/vaultd/vaultd/registry"
	"github.com/vaultd/vaultd/server"
	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/bbolt"
	"github.com/vaultd/vaultd/storage/inmem"
)

// Version is reported by seal-status and health.
const Version = "1.18.0+vaultd"

// Node is one server: its core and its listeners.
type Node struct {
	Core *core.Core
	// Metrics is the node's own Prometheus registry and sink.
	Metrics *metrics.Metrics
	logger  *slog.Logger
	servers []*server.Server
	lns     []net.Listener

	wg       sync.WaitGroup
	serveErr chan error

	// raft is the HA half on storage "raft"; nil otherwise.
	raft *raftNode
	// pprof serves the profiles when pprof_addr is set; nil otherwise.
	pprof *pprofServer
}

// Options tune how a node is built.
type Options struct {
	// Logger receives every log line; nil discards.
	Logger *slog.Logger
	// BuildDate is reported by seal-status.
	BuildDate string
}

// New opens the storage, builds the core and binds every listener. The
// node is sealed (or uninitialised) and serving once Start is called.
func New(ctx context.Context, conf *config.Config, opts Options) (*Node, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var rn *raftNode
	var phys storage.Backend
	storageType := config.StorageRaft
	var err error
	if conf.Storage != nil && conf.Storage.Type == config.StorageRaft {
		rn, err = openRaft(conf, logger)
		if err == nil {
			phys = rn.backend
		}
	} else {
		phys, storageType, err = openStorage(conf.Storage)
	}
	if err != nil {
		return nil, err
	}
	mt := newMetrics(conf)
	phys = metrics.WrapStorage(phys, storageType, mt)
	cc := core.Config{
		Physical:               phys,
		StorageType:            storageType,
		Logger:                 logger.With("component", "core"),
		Engines:                registry.Engines(),
		AuthMethods:            registry.AuthMethods(),
		AuditDevices:           registry.AuditDevices(),
		ConfigAuditDevices:     auditDevices(conf.Audit),
		AllowAuditLogPrefixing: conf.AllowAuditLogPrefixing,
		DefaultLeaseTTL:        conf.DefaultLeaseTTL,
		MaxLeaseTTL:            conf.MaxLeaseTTL,
		ClusterName:            conf.ClusterName,
		Version:                Version,
		BuildDate:              opts.BuildDate,
		Metrics:                mt,
	}
	if rn != nil {
		cc.Raft, cc.Cluster = rn.backend, rn.hooks()
		cc.APIAddr, cc.ClusterAddr = conf.APIAddr, conf.ClusterAddr
	}
	c, err := core.New(ctx, cc)
	if err != nil {
		_ = phys.Close()
		return nil, err
	}
	registerGauges(mt, c)
	n := &Node{Core: c, Metrics: mt, logger: logger, serveErr: make(chan error, len(conf.Listeners)+1), raft: rn}
	err = n.listen(conf.Listeners)
	if err == nil && conf.PprofAddr != "" {
		n.pprof, err = listenPprof(conf.PprofAddr, logger.With("component", "pprof"))
	}
	if err != nil {
		_ = n.closeListeners()
		_ = c.Shutdown(ctx)
		return nil, err
	}
	return n, nil
}

func openStorage(s *config.Storage) (storage.Backend, string, error) {
	if s == nil || s.Type == config.StorageInmem {
		return inmem.New(), config.StorageInmem, nil
	}
	path := s.Path
	if path == "" {
		return nil, "", errors.New("storage \"bbolt\": path is required")
	}
	path = filepath.Clean(path)
	b, err := bbolt.Open(path, nil)
	if err != nil {
		return nil, "", fmt.Errorf("open storage at %s: %w", path, err)
	}
	return b, config.StorageBbolt, nil
}

func auditDevices(devs []*config.AuditDevice) []audit.DeviceConfig {
	out := make([]audit.DeviceConfig, 0, len(devs))
	for _, d := range devs {
		out = append(out, audit.DeviceConfig{
			Type: d.Type, Path: d.Path, Description: d.Description, Local: d.Local, Options: d.Options,
		})
	}
	return out
}

func (n *Node) listen(listeners []*config.Listener) error {
	if len(listeners) == 0 {
		return errors.New("no listener configured")
	}
	for _, l := range listeners {
		srv, err := server.New(server.Config{
			Core:           n.Core,
			Logger:         n.logger.With("component", "http"),
			Address:        l.Address,
			TLSDisable:     l.TLSDisable,
			TLSCertFile:    l.TLSCertFile,
			TLSKeyFile:     l.TLSKeyFile,
			TLSMinVersion:  l.TLSMinVersion,
			MaxRequestSize: l.MaxRequestSize,
			ForwardDial:    n.forwardDial(),
			RaftJoin:       n.raftJoinHandler(),
			Limits:         serverLimits(l.ListenerLimits),
			Metrics:        n.Metrics,
			// Vault's listener telemetry block.
			UnauthenticatedMetrics: l.UnauthenticatedMetricsAccess,
		})
		if err != nil {
			return fmt.Errorf("listener %s: %w", l.Address, err)
		}
		ln, err := srv.Listen()
		if err != nil {
			return fmt.Errorf("listen on %s: %w", l.Address, err)
		}
		n.servers = append(n.servers, srv)
		n.lns = append(n.lns, ln)
	}
	return nil
}

func (n *Node) closeListeners() error {
	var errs []error
	for _, ln := range n.lns {
		errs = append(errs, ln.Close())
	}
	return errors.Join(errs...)
}

// Start serves every listener (and the pprof listener, if any) in the
// background.
func (n *Node) Start() {
	if n.raft != nil {
		n.raft.start(n.Core, n.servers[0].ForwardedHandler())
	}
	for i, srv := range n.servers {
		n.wg.Add(1)
		go func(srv *server.Server, ln net.Listener) {
			defer n.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				n.serveErr <- err
			}
		}(srv, n.lns[i])
	}
	if n.pprof != nil {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			n.pprof.serve(n.serveErr)
		}()
	}
}

// ReloadTLS reloads every TLS listener's certificate from its files
// (SIGHUP). A listener whose new files fail to load keeps serving its old
// certificate; the errors are returned, joined.
func (n *Node) ReloadTLS() error {
	var errs []error
	for _, srv := range n.servers {
		errs = append(errs, srv.ReloadTLS())
	}
	return errors.Join(errs...)
}

// Err delivers the first listener that fails while serving.
func (n *Node) Err() <-chan error { return n.serveErr }

// Addr is the URL of the first listener, as VAULT_ADDR would name it.
func (n *Node) Addr() string {
	scheme := "https"
	if !n.servers[0].TLS() {
		scheme = "http"
	}
	return scheme + "://" + n.lns[0].Addr().String()
}

// Shutdown stops accepting, drains in-flight requests, seals the core and
// closes the store.
func (n *Node) Shutdown(ctx context.Context) error {
	var errs []error
	if n.pprof != nil {
		errs = append(errs, n.pprof.close())
	}
	for _, srv := range n.servers {
		errs = append(errs, srv.Shutdown(ctx))
	}
	n.wg.Wait()
	if n.raft != nil {
		errs = append(errs, n.raft.stop(ctx))
	}
	errs = append(errs, n.Core.Shutdown(ctx))
	return errors.Join(errs...)
}

// DevInit initialises the node with one share, unseals it and mounts KV
// version 2 at secret/, as `vaultd server -dev` does.
func (n *Node) DevInit(ctx context.Context, rootTokenID string) (*core.InitResult, error) {
	res, err := n.Core.Initialize(ctx, core.InitParams{SecretShares: 1, SecretThreshold: 1, RootTokenID: rootTokenID})
	if err != nil {
		return nil, fmt.Errorf("dev init: %w", err)
	}
	if _, err := n.Core.Unseal(ctx, res.Shares[0]); err != nil {
		return nil, fmt.Errorf("dev unseal: %w", err)
	}
	_, err = n.Core.HandleRequest(ctx, &logical.Request{
		Operation:   logical.UpdateOperation,
		Path:        "sys/mounts/secret",
		ClientToken: res.RootToken,
		Data: map[string]any{
			"type": "kv", "description": "key/value secret storage",
			"options": map[string]any{"version": "2"},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("dev mount of secret/: %w", err)
	}
	return res, nil
}
