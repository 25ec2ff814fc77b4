package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vaultd/vaultd/cmd/vaultd-load/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses the flags, runs the load for each -op and -c given and
// prints one line per run. The exit code is 1 when any request failed.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, ops, conc, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "vaultd-load: %v\n", err)
		return 2
	}
	code := 0
	for _, op := range ops {
		for _, c := range conc {
			cfg.Op, cfg.Concurrency = op, c
			res, err := load.Run(ctx, cfg)
			if res != nil {
				fmt.Fprintln(stdout, res)
			}
			if err != nil {
				fmt.Fprintf(stderr, "vaultd-load: %v\n", err)
				return 1
			}
			if res.Errors > 0 {
				fmt.Fprintf(stderr, "vaultd-load: %d requests failed; first: %v\n", res.Errors, res.FirstError)
				code = 1
			}
		}
	}
	return code
}

func parseFlags(args []string, stderr io.Writer) (cfg load.Config, ops []load.Op, conc []int, err error) {
	fs := flag.NewFlagSet("vaultd-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", envOr("VAULT_ADDR", "http://127.0.0.1:8200"), "server URL (VAULT_ADDR)")
	fs.StringVar(&cfg.Token, "token", os.Getenv("VAULT_TOKEN"), "token sent as X-Vault-Token (VAULT_TOKEN)")
	fs.StringVar(&cfg.Mount, "mount", "secret", "KV version 2 mount path")
	fs.StringVar(&cfg.Prefix, "prefix", "vaultd-load", "key prefix under the mount")
	opList := fs.String("op", "read", "read, write, mixed or login; a comma-separated list runs each in turn")
	cList := fs.String("c", "1", "concurrent clients; a comma-separated list (1,16,64) runs each in turn")
	fs.IntVar(&cfg.Requests, "n", 0, "requests per run (0: run for -duration)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "length of each run when -n is 0")
	fs.IntVar(&cfg.Keys, "keys", 16, "keys read, or written by each client")
	fs.IntVar(&cfg.ValueSize, "size", 64, "bytes in each written value")
	fs.BoolVar(&cfg.SkipPrepare, "skip-prepare", false, "do not write the read keys first: an earlier run with the same -prefix and -keys did")
	fs.IntVar(&cfg.ServerPID, "pid", 0, "server process id on this machine: report its CPU time per request (from /proc)")
	fs.StringVar(&cfg.LoginMount, "login-mount", "vaultd-load-jwt", "JWT auth mount a login run enables and configures")
	if err := fs.Parse(args); err != nil {
		return cfg, nil, nil, err
	}
	if fs.NArg() > 0 {
		return cfg, nil, nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.Requests > 0 {
		cfg.Duration = 0
	}
	for s := range strings.SplitSeq(*opList, ",") {
		ops = append(ops, load.Op(strings.TrimSpace(s)))
	}
	for s := range strings.SplitSeq(*cList, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || c < 1 {
			return cfg, nil, nil, fmt.Errorf("-c: %q is not a positive number", s)
		}
		conc = append(conc, c)
	}
	return cfg, ops, conc, nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
