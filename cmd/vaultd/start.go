package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/node"
)

// shutdownGrace bounds how long in-flight requests may drain on SIGTERM.
const shutdownGrace = 30 * time.Second

// startServer builds and runs the server described by opts until ctx is
// cancelled (SIGINT/SIGTERM), and returns the exit code. SIGHUP reloads the
// log level from the config files, reopens the audit files and reloads the
// listeners' TLS certificates.
func startServer(ctx context.Context, opts serverOptions, stdout, stderr io.Writer) int {
	conf, err := loadServerConfig(opts)
	if err != nil {
		fmt.Fprintf(stderr, "Error loading configuration: %v\n", err)
		return 1
	}
	level := new(slog.LevelVar)
	if err := setLevel(level, conf.LogLevel, opts.LogLevel); err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	logger := newLogger(stderr, conf.LogFormat, level)
	tuneGC()
	if !conf.DisableMlock {
		if err := unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE); err != nil {
			fmt.Fprintf(stderr, "Error: failed to lock memory with mlockall: %v.\n"+
				"vaultd locks its memory so that keys never reach swap. Grant the process the IPC_LOCK\n"+
				"capability (in Kubernetes: securityContext.capabilities.add: [\"IPC_LOCK\"]), or set\n"+
				"disable_mlock = true in the config file on systems without swap.\n", err)
			return 1
		}
	}

	n, err := node.New(ctx, conf, node.Options{Logger: logger, BuildDate: buildDate})
	if err != nil {
		fmt.Fprintf(stderr, "Error starting server: %v\n", err)
		return 1
	}
	n.Start()
	if opts.Dev {
		res, err := n.DevInit(ctx, opts.DevRootTokenID)
		if err != nil {
			fmt.Fprintf(stderr, "Error: %v\n", err)
			_ = n.Shutdown(context.Background())
			return 1
		}
		printDevBanner(stdout, n.Addr(), res.Shares[0], res.RootToken)
	}
	logger.Info("vaultd server started", "addr", n.Addr(), "storage", conf.Storage.Type, "version", node.Version)
	return serveUntilDone(ctx, n, opts, level, logger)
}

func serveUntilDone(ctx context.Context, n *node.Node, opts serverOptions, level *slog.LevelVar, logger *slog.Logger) int {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	code := 0
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-n.Err():
			logger.Error("listener failed", "error", err)
			code = 1
			break loop
		case <-hup:
			reload(ctx, n, opts, level, logger)
		}
	}
	logger.Info("shutting down: draining requests")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := n.Shutdown(sctx); err != nil {
		logger.Error("shutdown", "error", err)
		return 1
	}
	return code
}

// reload is SIGHUP: a new log level from the config files, every audit
// file reopened (for logrotate), and every listener's TLS certificate
// loaded again from its files (kept when the new ones fail to load).
func reload(ctx context.Context, n *node.Node, opts serverOptions, level *slog.LevelVar, logger *slog.Logger) {
	if !opts.Dev {
		conf, err := config.LoadFiles(opts.ConfigPaths)
		if err != nil {
			logger.Error("reload: configuration not reloaded", "error", err)
		} else if err := setLevel(level, conf.LogLevel, opts.LogLevel); err != nil {
			logger.Error("reload: bad log level", "error", err)
		}
	}
	if err := n.Core.ReopenAudit(ctx); err != nil {
		logger.Error("reload: reopening audit devices failed", "error", err)
	}
	if err := n.ReloadTLS(); err != nil {
		logger.Error("reload: TLS certificates not reloaded; the old ones stay in use", "error", err)
	}
	logger.Info("reloaded", "log_level", level.Level().String())
}

func loadServerConfig(opts serverOptions) (*config.Config, error) {
	if opts.Dev {
		conf := config.Dev(opts.DevListenAddress)
		if len(opts.ConfigPaths) == 0 {
			return conf, nil
		}
		// A config given with -dev adds to dev mode (audit devices, log
		// settings) rather than replacing it.
		extra, err := config.ReadFiles(opts.ConfigPaths)
		if err != nil {
			return nil, err
		}
		conf = conf.Merge(extra)
		return conf, conf.Validate()
	}
	return config.LoadFiles(opts.ConfigPaths)
}

// setLevel applies the flag's level if given, else the config's.
func setLevel(level *slog.LevelVar, fromConfig, fromFlag string) error {
	name := fromConfig
	if fromFlag != "" {
		name = fromFlag
	}
	l, err := config.ParseLogLevel(name)
	if err != nil {
		return err
	}
	level.Set(l)
	return nil
}

func newLogger(w io.Writer, format string, level *slog.LevelVar) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func printDevBanner(w io.Writer, addr string, share []byte, root string) {
	fmt.Fprintf(w, `WARNING! dev mode is enabled! In this mode, vaultd runs entirely in memory,
starts unsealed with a single unseal key, and keeps NOTHING when it stops.
Never use it for real secrets.

You may need to set the following environment variable:

    $ export VAULT_ADDR='%s'

The unseal key and root token are displayed below in case you want to
seal/unseal the server or re-authenticate.

Unseal Key: %s
Root Token: %s

KV version 2 is mounted at secret/.

`, addr, base64.StdEncoding.EncodeToString(share), root)
}
