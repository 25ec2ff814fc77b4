package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"
)

// base is what every command has: its streams, its flags and the client
// settings the common flags and the environment give.
type base struct {
	ctx     context.Context
	streams Streams
	spec    *spec
	fs      *flag.FlagSet

	// HTTP flags.
	address, caCert, caPath, clientCert, clientKey, tlsServerName string
	skipVerify                                                    bool
	wrapTTL                                                       time.Duration
	// Output flags.
	format, field string
	detailed      bool
}

// Flag groups a command asks for.
const (
	flagsHTTP   = 1 << iota // -address, -ca-cert, …, -wrap-ttl
	flagsFormat             // -format
	flagsField              // -field
)

// flags makes the command's flag set with the groups asked for; the
// command adds its own flags to it before calling parse.
func (b *base) flags(groups int) *flag.FlagSet {
	fs := flag.NewFlagSet("vault "+b.spec.name, flag.ContinueOnError)
	fs.SetOutput(b.streams.Stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), b.spec.help)
		fmt.Fprintln(fs.Output(), "\nOptions:")
		fs.PrintDefaults()
	}
	if groups&flagsHTTP != 0 {
		fs.StringVar(&b.address, "address", "", "Address of the Vault server. Overrides VAULT_ADDR.")
		fs.StringVar(&b.caCert, "ca-cert", "", "PEM file of the CA certificate that verifies the server. Overrides VAULT_CACERT.")
		fs.StringVar(&b.caPath, "ca-path", "", "Directory of PEM CA certificates. Overrides VAULT_CAPATH.")
		fs.StringVar(&b.clientCert, "client-cert", "", "PEM client certificate for TLS authentication. Overrides VAULT_CLIENT_CERT.")
		fs.StringVar(&b.clientKey, "client-key", "", "PEM key of -client-cert. Overrides VAULT_CLIENT_KEY.")
		fs.StringVar(&b.tlsServerName, "tls-server-name", "", "Name to use as the SNI host. Overrides VAULT_TLS_SERVER_NAME.")
		fs.BoolVar(&b.skipVerify, "tls-skip-verify", false, "Do not verify the server's certificate (unsafe). Overrides VAULT_SKIP_VERIFY.")
		fs.DurationVar(&b.wrapTTL, "wrap-ttl", 0, "Ask the server to wrap the response in a token with this TTL.")
	}
	if groups&flagsFormat != 0 {
		fs.StringVar(&b.format, "format", "", `Output format: "table", "json" or "yaml". Overrides VAULT_FORMAT.`)
	}
	if groups&flagsField != 0 {
		fs.StringVar(&b.field, "field", "", "Print only this field, raw, with no trailing newline when not on a terminal.")
	}
	b.fs = fs
	return fs
}

// parse parses args with flags allowed before, between and after the
// positional arguments ("--" ends the flags), then checks the output
// format. On failure the reason (and for flags, the usage) is printed and
// ok is false with the exit code.
func (b *base) parse(args []string) (pos []string, code int, ok bool) {
	for {
		if err := b.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitLocal, false
		}
		rest := b.fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if f, ok := b.outputFormat(); !ok {
		b.errorf("Invalid output format: %s", f)
		return nil, exitLocal, false
	}
	return pos, exitOK, true
}

// parseN is parse with a check on the number of positional arguments:
// between lo and hi (hi < 0: no upper bound).
func (b *base) parseN(args []string, lo, hi int) (pos []string, code int, ok bool) {
	pos, code, ok = b.parse(args)
	if !ok {
		return nil, code, false
	}
	switch {
	case len(pos) < lo:
		b.errorf("Not enough arguments (expected %d, got %d)", lo, len(pos))
	case hi >= 0 && len(pos) > hi:
		b.errorf("Too many arguments (expected %d, got %d)", hi, len(pos))
	default:
		return pos, exitOK, true
	}
	b.fs.SetOutput(b.streams.Stderr)
	b.fs.Usage()
	return nil, exitLocal, false
}

// errorf prints one line to stderr.
func (b *base) errorf(format string, args ...any) {
	fmt.Fprintf(b.streams.Stderr, format+"\n", args...)
}

// remote prints a server error after what was being done, and returns
// exitRemote.
func (b *base) remote(doing string, err error) int {
	b.errorf("%s: %s", doing, err)
	return exitRemote
}

// outputFormat is -format, else VAULT_FORMAT, else table; ok is false
// (and the format the one given) when it is none the commands know.
func (b *base) outputFormat() (string, bool) {
	f := b.format
	if f == "" {
		f = os.Getenv("VAULT_FORMAT")
	}
	f = strings.ToLower(strings.TrimSpace(f))
	switch f {
	case "":
		return "table", true
	case "table", "json", "yaml":
		return f, true
	case "yml":
		return "yaml", true
	}
	return f, false
}

// out is the printer for this command's output.
func (b *base) out() *printer {
	f, _ := b.outputFormat()
	return &printer{w: b.streams.Stdout, errw: b.streams.Stderr, format: f, field: b.field, detailed: b.detailed}
}

// client builds the API client as the vault CLI does: the environment
// (VAULT_ADDR, VAULT_CACERT, VAULT_CAPATH, VAULT_SKIP_VERIFY,
// VAULT_CLIENT_TIMEOUT, VAULT_MAX_RETRIES, …) with the flags on top, and
// the token from VAULT_TOKEN or else the token helper file. On failure it
// prints why; the command exits with exitRemote, as Vault's does.
func (b *base) client() (*api.Client, bool) {
	c, err := b.newClient()
	if err != nil {
		b.errorf("%s", err)
		return nil, false
	}
	return c, true
}

// connect parses the command line (between lo and hi positional
// arguments, as parseN) and builds the client. When ok is false the
// command exits with code.
func (b *base) connect(args []string, lo, hi int) (client *api.Client, pos []string, code int, ok bool) {
	if pos, code, ok = b.parseN(args, lo, hi); !ok {
		return nil, nil, code, false
	}
	if client, ok = b.client(); !ok {
		return nil, nil, exitRemote, false
	}
	return client, pos, exitOK, true
}

func (b *base) newClient() (*api.Client, error) {
	conf := api.DefaultConfig()
	if conf.Error != nil {
		return nil, fmt.Errorf("reading the client environment: %w", conf.Error)
	}
	if b.address != "" {
		conf.Address = b.address
	}
	if b.caCert != "" || b.caPath != "" || b.clientCert != "" || b.clientKey != "" || b.tlsServerName != "" || b.skipVerify {
		insecure, _ := strconv.ParseBool(os.Getenv(api.EnvVaultSkipVerify))
		tc := &api.TLSConfig{
			CACert:        envOr(b.caCert, api.EnvVaultCACert),
			CAPath:        envOr(b.caPath, api.EnvVaultCAPath),
			ClientCert:    envOr(b.clientCert, api.EnvVaultClientCert),
			ClientKey:     envOr(b.clientKey, api.EnvVaultClientKey),
			TLSServerName: envOr(b.tlsServerName, api.EnvVaultTLSServerName),
			Insecure:      insecure || b.skipVerify,
		}
		if b.caCert != "" && b.caPath == "" {
			tc.CAPath = ""
		}
		if err := conf.ConfigureTLS(tc); err != nil {
			return nil, fmt.Errorf("configuring TLS: %w", err)
		}
	}
	c, err := api.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("creating the API client: %w", err)
	}
	if c.Token() == "" {
		if tok, err := readTokenHelper(); err != nil {
			return nil, fmt.Errorf("reading the token helper: %w", err)
		} else if tok != "" {
			c.SetToken(tok)
		}
	}
	if b.wrapTTL > 0 {
		ttl := b.wrapTTL.String()
		c.SetWrappingLookupFunc(func(string, string) string { return ttl })
	}
	return c, nil
}

func envOr(flagValue, env string) string {
	if flagValue != "" {
		return flagValue
	}
	return os.Getenv(env)
}

// tokenHelperPath is ~/.vault-token, where `vault login` keeps the token.
func tokenHelperPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the home directory: %w", err)
	}
	return filepath.Join(home, ".vault-token"), nil
}

// readTokenHelper returns the saved token, "" when there is none.
func readTokenHelper() (string, error) {
	p, err := tokenHelperPath()
	if err != nil {
		return "", nil
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(data)), nil
}

// writeTokenHelper saves token for later commands, readable by the user
// alone.
func writeTokenHelper(token string) error {
	p, err := tokenHelperPath()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".vault-token-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(token); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}
