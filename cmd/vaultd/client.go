package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/vault/api"
)

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

// clientFlagSet makes the flag set of a subcommand that talks to a server,
// with the client flags registered on it.
func (c *cli) clientFlagSet(name, usage string) (*flag.FlagSet, *clientFlags) {
	fs := newFlagSet(name, usage, c.stderr)
	cf := &clientFlags{}
	cf.register(fs)
	return fs, cf
}

// parseArgs parses args and checks that at most maxArgs arguments follow
// the flags. When done is true the command is over with code: that of
// parseFlags, or usageExit after too many arguments.
func (c *cli) parseArgs(fs *flag.FlagSet, args []string, maxArgs, usageExit int) (code int, done bool) {
	if code, done := parseFlags(fs, args); done {
		return code, true
	}
	if fs.NArg() > maxArgs {
		fmt.Fprintf(c.stderr, "Too many arguments (expected %d, got %d)\n", maxArgs, fs.NArg())
		return usageExit, true
	}
	return 0, false
}

// apiClient builds the API client from cf. On failure it prints why and
// ok is false; the command then exits with its code for that.
func (c *cli) apiClient(cf *clientFlags) (client *api.Client, ok bool) {
	client, err := cf.client()
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return nil, false
	}
	return client, true
}

// formatAndClient settles the output format and builds the API client. On
// failure it prints why and done is true, with code usageExit for a bad
// format or clientExit for a client that cannot be built.
func (c *cli) formatAndClient(cf *clientFlags, usageExit, clientExit int) (format string, client *api.Client, code int, done bool) {
	format, err := cf.outputFormat()
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return "", nil, usageExit, true
	}
	client, ok := c.apiClient(cf)
	if !ok {
		return "", nil, clientExit, true
	}
	return format, client, 0, false
}

// clientFlags are the flags every client subcommand takes.
type clientFlags struct {
	address    string
	caCert     string
	skipVerify bool
	format     string
}

func (f *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.address, "address", "", "Address of the server, e.g. https://127.0.0.1:8200. Overrides VAULT_ADDR.")
	fs.StringVar(&f.caCert, "ca-cert", "", "PEM file of the CA that signed the server's certificate. Overrides VAULT_CACERT.")
	fs.BoolVar(&f.skipVerify, "tls-skip-verify", false, "Do not verify the server's certificate (unsafe). Overrides VAULT_SKIP_VERIFY.")
	fs.StringVar(&f.format, "format", "", `Output format: "table" or "json". Default: VAULT_FORMAT, or table.`)
}

// outputFormat is the -format value, or VAULT_FORMAT, or "table".
func (f *clientFlags) outputFormat() (string, error) {
	format := f.format
	if format == "" {
		format = os.Getenv("VAULT_FORMAT")
	}
	format = strings.ToLower(format)
	switch format {
	case "":
		return "table", nil
	case "table", "json":
		return format, nil
	}
	return "", fmt.Errorf("invalid output format %q (want table or json)", format)
}

// client builds an API client from the environment, as the vault CLI does,
// with the flags on top. Without VAULT_TOKEN, the token saved by
// `vault login` in ~/.vault-token is used if there is one.
func (f *clientFlags) client() (*api.Client, error) {
	conf := api.DefaultConfig()
	if conf.Error != nil {
		return nil, fmt.Errorf("reading the client environment: %w", conf.Error)
	}
	if f.address != "" {
		conf.Address = f.address
	}
	if f.caCert != "" || f.skipVerify {
		insecure, _ := strconv.ParseBool(os.Getenv(api.EnvVaultSkipVerify))
		tlsConf := &api.TLSConfig{
			CACert:        os.Getenv(api.EnvVaultCACert),
			CAPath:        os.Getenv(api.EnvVaultCAPath),
			ClientCert:    os.Getenv(api.EnvVaultClientCert),
			ClientKey:     os.Getenv(api.EnvVaultClientKey),
			TLSServerName: os.Getenv(api.EnvVaultTLSServerName),
			Insecure:      insecure || f.skipVerify,
		}
		if f.caCert != "" {
			tlsConf.CACert, tlsConf.CAPath = f.caCert, ""
		}
		if err := conf.ConfigureTLS(tlsConf); err != nil {
			return nil, fmt.Errorf("configuring TLS: %w", err)
		}
	}
	client, err := api.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("creating the API client: %w", err)
	}
	if client.Token() == "" {
		if token := savedToken(); token != "" {
			client.SetToken(token)
		}
	}
	return client, nil
}

// savedToken reads ~/.vault-token, where `vault login` keeps the token.
func savedToken() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(home, ".vault-token"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// writeJSON prints v as indented JSON, as `vault … -format=json` does.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// row is one line of a Key/Value table.
type row struct {
	key, value string
}

// writeTable prints rows under a "Key Value" header, the way the vault CLI
// prints status tables: columns four spaces apart, an empty value as n/a.
func writeTable(w io.Writer, rows []row) {
	width := len("Key")
	for _, r := range rows {
		width = max(width, len(r.key))
	}
	line := func(k, v string) {
		fmt.Fprintf(w, "%-*s    %s\n", width, k, v)
	}
	line("Key", "Value")
	line("---", "-----")
	for _, r := range rows {
		v := r.value
		if v == "" {
			v = "n/a"
		}
		line(r.key, v)
	}
}

// wrapText breaks s into lines of at most width columns, at spaces.
func wrapText(s string, width int) string {
	var b strings.Builder
	lineLen := 0
	for _, word := range strings.Fields(s) {
		switch {
		case lineLen == 0:
		case lineLen+1+len(word) > width:
			b.WriteByte('\n')
			lineLen = 0
		default:
			b.WriteByte(' ')
			lineLen++
		}
		b.WriteString(word)
		lineLen += len(word)
	}
	return b.String()
}
