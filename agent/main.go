package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	ctlogging "github.com/hashicorp/consul-template/logging"
	"github.com/hashicorp/vault/api"
)

const usage = `Usage: vaultd agent [options]

  Run the agent: log in (auto_auth), write the token to its sinks, render
  templates to files and keep them fresh; with exit_after_auth, render
  once and exit (an init container). Without -config the config is read
  from VAULT_CONFIG (base64 JSON, or JSON).

    $ vaultd agent -config=/vault/config/agent.hcl

Options:
`

// options are the command-line flags.
type options struct {
	configPath    string
	exitAfterAuth bool
	logLevel      string
	vault         Vault
	set           map[string]bool
}

// Main runs `vaultd agent` with args (after the subcommand's name) until
// ctx ends or, with exit_after_auth, until every template has rendered. It
// returns the exit code: 0, or 1 with one line on stderr naming the
// template or the login that failed.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, code, ok := parseFlags(args, stdout, stderr)
	if !ok {
		return code
	}
	cfg, err := loadConfig(opts, os.LookupEnv)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %s\n", oneLine(err))
		return 1
	}
	if err := run(ctx, cfg, stderr); err != nil {
		fmt.Fprintf(stderr, "Error: %s\n", oneLine(err))
		return 1
	}
	return 0
}

func parseFlags(args []string, stdout, stderr io.Writer) (options, int, bool) {
	opts := options{set: map[string]bool{}}
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fs.SetOutput(stdout)
		defer fs.SetOutput(stderr)
		fmt.Fprint(stdout, usage)
		fs.PrintDefaults()
	}
	var configs []string
	fs.Func("config", "Path to the agent's config file (HCL or JSON). Without it, VAULT_CONFIG is read.", func(s string) error {
		configs = append(configs, s)
		return nil
	})
	fs.BoolVar(&opts.exitAfterAuth, "exit-after-auth", false, "Render every template once and exit, as exit_after_auth = true.")
	fs.StringVar(&opts.logLevel, "log-level", "", "Log level: trace, debug, info, warn or error. Environment: VAULT_LOG_LEVEL.")
	fs.StringVar(&opts.vault.Address, "address", "", "The server's address; overrides vault.address and VAULT_ADDR.")
	fs.StringVar(&opts.vault.CACert, "ca-cert", "", "CA certificate file to verify the server; overrides vault.ca_cert and VAULT_CACERT.")
	fs.StringVar(&opts.vault.CAPath, "ca-path", "", "Directory of CA certificates; overrides vault.ca_path and VAULT_CAPATH.")
	fs.StringVar(&opts.vault.ClientCert, "client-cert", "", "Client certificate for TLS; overrides vault.client_cert and VAULT_CLIENT_CERT.")
	fs.StringVar(&opts.vault.ClientKey, "client-key", "", "Client key for TLS; overrides vault.client_key and VAULT_CLIENT_KEY.")
	fs.BoolVar(&opts.vault.TLSSkipVerify, "tls-skip-verify", false, "Do not verify the server's certificate; overrides vault.tls_skip_verify and VAULT_SKIP_VERIFY.")
	fs.StringVar(&opts.vault.TLSServerName, "tls-server-name", "", "Name to verify the server's certificate against; overrides VAULT_TLS_SERVER_NAME.")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return opts, 0, false
		}
		return opts, 1, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "Error: too many arguments (expected 0, got %d)\n", fs.NArg())
		return opts, 1, false
	}
	if len(configs) > 1 {
		fmt.Fprintln(stderr, "Error: give -config once")
		return opts, 1, false
	}
	if len(configs) == 1 {
		opts.configPath = configs[0]
	}
	fs.Visit(func(f *flag.Flag) { opts.set[f.Name] = true })
	return opts, 0, true
}

// loadConfig reads the config (file or VAULT_CONFIG), applies VAULT_* and
// then the flags, and validates the whole.
func loadConfig(opts options, lookup func(string) (string, bool)) (*Config, error) {
	var (
		cfg  *Config
		err  error
		name = opts.configPath
	)
	switch env, ok := lookup(EnvConfig); {
	case name != "":
		cfg, err = LoadFile(name)
	case ok:
		name = EnvConfig
		cfg, err = ParseEnv(env)
	default:
		return nil, errors.New("no config: give -config=FILE or set " + EnvConfig)
	}
	if err != nil {
		return nil, err
	}
	if err := ApplyEnv(cfg, lookup); err != nil {
		return nil, err
	}
	if lvl, ok := lookup("VAULT_LOG_LEVEL"); ok && lvl != "" {
		cfg.LogLevel = lvl
	}
	flagStr := map[string]*string{
		"address": &cfg.Vault.Address, "ca-cert": &cfg.Vault.CACert, "ca-path": &cfg.Vault.CAPath,
		"client-cert": &cfg.Vault.ClientCert, "client-key": &cfg.Vault.ClientKey, "tls-server-name": &cfg.Vault.TLSServerName,
	}
	flagVal := map[string]string{
		"address": opts.vault.Address, "ca-cert": opts.vault.CACert, "ca-path": opts.vault.CAPath,
		"client-cert": opts.vault.ClientCert, "client-key": opts.vault.ClientKey, "tls-server-name": opts.vault.TLSServerName,
	}
	for name, into := range flagStr {
		if opts.set[name] {
			*into = flagVal[name]
		}
	}
	if opts.set["tls-skip-verify"] {
		cfg.Vault.TLSSkipVerify = opts.vault.TLSSkipVerify
	}
	if opts.set["exit-after-auth"] {
		cfg.ExitAfterAuth = opts.exitAfterAuth
	}
	if opts.set["log-level"] {
		cfg.LogLevel = opts.logLevel
	}
	if _, err := parseLevel(cfg.LogLevel); err != nil {
		return nil, err
	}
	if err := cfg.Validate(name); err != nil {
		return nil, err
	}
	if err := checkTemplates(cfg.Templates); err != nil {
		return nil, err
	}
	return cfg, nil
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "trace", "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error", "err":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level %q: want trace, debug, info, warn or error", s)
}

// oneLine joins a multi-line error into one line.
func oneLine(err error) string {
	fields := strings.FieldsFunc(err.Error(), func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range fields {
		fields[i] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(fields[i]), "* "))
	}
	return strings.Join(fields, "; ")
}

// newClient is the API client for the vault block: no token (the agent
// sets its own), no retries of its own (the agent retries with backoff).
func newClient(v Vault) (*api.Client, error) {
	conf := api.DefaultConfig()
	if conf.Error != nil {
		return nil, conf.Error
	}
	conf.Address = v.Address
	conf.MaxRetries = 0
	conf.Timeout = 60 * time.Second
	if err := conf.ConfigureTLS(&api.TLSConfig{
		CACert:        v.CACert,
		CAPath:        v.CAPath,
		ClientCert:    v.ClientCert,
		ClientKey:     v.ClientKey,
		TLSServerName: v.TLSServerName,
		Insecure:      v.TLSSkipVerify,
	}); err != nil {
		return nil, fmt.Errorf("vault TLS: %w", err)
	}
	c, err := api.NewClient(conf)
	if err != nil {
		return nil, err
	}
	c.ClearToken()
	return c, nil
}

// run is the agent itself.
func run(ctx context.Context, cfg *Config, stderr io.Writer) error {
	level, _ := parseLevel(cfg.LogLevel)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	// consul-template logs through the standard logger; it names paths
	// and dependencies, never values or tokens.
	ctLevel := "WARN"
	if level <= slog.LevelDebug {
		ctLevel = "DEBUG"
	}
	if err := ctlogging.Setup(&ctlogging.Config{Level: ctLevel, Writer: stderr}); err != nil {
		return fmt.Errorf("logging: %w", err)
	}

	client, err := newClient(cfg.Vault)
	if err != nil {
		return err
	}
	if cfg.PidFile != "" {
		if err := writeFileAtomic(cfg.PidFile, []byte(strconv.Itoa(os.Getpid())), 0o644, false); err != nil {
			return fmt.Errorf("pid_file: %w", err)
		}
		defer os.Remove(cfg.PidFile)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				log.Info("SIGHUP: nothing to reload; the config is read at start-up only")
			}
		}
	}()

	hub := &tokenHub{}
	ready := newReadiness()
	listeners, err := startListeners(cfg, client.CloneConfig().HttpClient.Transport, hub, ready, log)
	if err != nil {
		return err
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		for _, l := range listeners {
			l.shutdown(sctx)
		}
	}()

	auth := &authenticator{
		method: cfg.AutoAuth.Method,
		sinks:  cfg.AutoAuth.Sinks,
		client: client,
		log:    log,
		hub:    hub,
		once:   cfg.ExitAfterAuth,
	}
	if cfg.ExitAfterAuth {
		auth.attempts = max(cfg.Vault.NumRetries, 0) + 1
	}
	eng := &engine{cfg: cfg, log: log, ready: ready, once: cfg.ExitAfterAuth}
	tokens := hub.subscribe()

	authDone := make(chan error, 1)
	engDone := make(chan error, 1)
	go func() { authDone <- auth.run(ctx) }()
	go func() { engDone <- eng.run(ctx, tokens) }()

	log.Info("agent started", "address", cfg.Vault.Address, "method", cfg.AutoAuth.Method.Type, "templates", len(cfg.Templates), "exit_after_auth", cfg.ExitAfterAuth)
	var result error
	select {
	case err := <-authDone:
		result = err
		if err == nil && ctx.Err() == nil {
			result = errors.New("auto_auth stopped")
		}
	case err := <-engDone:
		result = err
		if err == nil && cfg.ExitAfterAuth && ctx.Err() == nil {
			log.Info("exit_after_auth: every template rendered, exiting")
		}
	}
	if cfg.ExitAfterAuth && result == nil && !ready.ready() {
		result = errors.New("stopped before every template rendered")
	}
	cancel()
	return result
}
