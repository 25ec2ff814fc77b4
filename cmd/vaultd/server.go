package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vaultd/vaultd/config"
)

// serverOptions are the flags of `vaultd server`.
type serverOptions struct {
	// ConfigPaths are the -config values in order: files or directories.
	ConfigPaths []string
	// Dev runs the in-memory, pre-unsealed development server.
	Dev bool
	// DevRootTokenID is the root token dev mode uses instead of a random
	// one (-dev-root-token-id, or VAULT_DEV_ROOT_TOKEN_ID).
	DevRootTokenID string
	// DevListenAddress is dev mode's listener address
	// (-dev-listen-address, or VAULT_DEV_LISTEN_ADDRESS).
	DevListenAddress string
	// LogLevel overrides the config's log_level when not empty (-log-level,
	// or VAULT_LOG_LEVEL). It has been checked with config.ParseLogLevel.
	LogLevel string
}

const serverUsage = `Usage: vaultd server [options]

  Start a vaultd server. With -dev: in memory, initialised and unsealed,
  the root token printed; nothing is kept.

    $ vaultd server -config=/etc/vaultd/config.hcl
    $ vaultd server -dev

Options:
`

// runServer parses the server flags and hands them to startServer.
func runServer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, code, ok := parseServerFlags(args, stderr)
	if !ok {
		return code
	}
	return startServer(ctx, opts, stdout, stderr)
}

// parseServerFlags reads the flags; when ok is false the command is over
// and code is its exit code (0 after -h).
func parseServerFlags(args []string, stderr io.Writer) (opts serverOptions, code int, ok bool) {
	fs := newFlagSet("server", serverUsage, stderr)
	fs.Var((*stringList)(&opts.ConfigPaths), "config",
		"Path to a config file or a directory of .hcl and .json files. May be repeated; later files override earlier ones.")
	fs.BoolVar(&opts.Dev, "dev", false,
		"Run a development server: in memory, initialised, unsealed. Nothing is kept.")
	fs.StringVar(&opts.DevRootTokenID, "dev-root-token-id", os.Getenv("VAULT_DEV_ROOT_TOKEN_ID"),
		"The root token of the dev server instead of a random one. Environment: VAULT_DEV_ROOT_TOKEN_ID.")
	fs.StringVar(&opts.DevListenAddress, "dev-listen-address", envOr("VAULT_DEV_LISTEN_ADDRESS", config.DefaultListenAddress),
		"Address of the dev server's listener. Environment: VAULT_DEV_LISTEN_ADDRESS.")
	fs.StringVar(&opts.LogLevel, "log-level", os.Getenv("VAULT_LOG_LEVEL"),
		"Log level: trace, debug, info, warn or error; overrides log_level in the config. Environment: VAULT_LOG_LEVEL.")
	if code, done := parseFlags(fs, args); done {
		return opts, code, false
	}
	if err := checkServerOptions(fs, opts); err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return opts, 1, false
	}
	return opts, 0, true
}

func checkServerOptions(fs *flag.FlagSet, opts serverOptions) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("too many arguments (expected 0, got %d)", fs.NArg())
	}
	if !opts.Dev {
		if len(opts.ConfigPaths) == 0 {
			return errors.New("a config file or directory is required: -config=PATH (or -dev for a development server)")
		}
		var devOnly []string
		fs.Visit(func(f *flag.Flag) {
			if strings.HasPrefix(f.Name, "dev-") {
				devOnly = append(devOnly, "-"+f.Name)
			}
		})
		if len(devOnly) > 0 {
			return fmt.Errorf("%s only applies with -dev", strings.Join(devOnly, " and "))
		}
	}
	if opts.LogLevel != "" {
		if _, err := config.ParseLogLevel(opts.LogLevel); err != nil {
			return fmt.Errorf("-log-level: %w", err)
		}
	}
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	if v == "" {
		return errors.New("empty path")
	}
	*s = append(*s, v)
	return nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// newFlagSet makes a subcommand's flag set: errors are returned, not fatal,
// and -h prints usage followed by the flags.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; when done is true the command is over (after -h,
// code 0; after a bad flag, code 1, the flag package having said why).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		return 0, true
	}
	return 1, true
}
