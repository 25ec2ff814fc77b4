package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/vault/api"
)

// Exit codes of the operator subcommands, as the vault CLI has them: 1 for
// a local mistake (flags, arguments), 2 for an error from the server.
const (
	exitUsage  = 1
	exitRemote = 2
)

// lineWidth is where prose output wraps.
const lineWidth = 78

const initUsage = `Usage: vaultd operator init [options]

  Initialise a new server: generate the root key, split the unseal key into
  shares, and print the shares and the initial root token. They are shown
  once and never again.

  With -status, print whether the server is initialised; the exit code is
  0 initialised, 1 error, 2 not initialised.

Options:
`

func (c *cli) operatorInit(ctx context.Context, args []string) int {
	fs, cf := c.clientFlagSet("operator init", initUsage)
	var shares, threshold int
	var statusOnly bool
	fs.IntVar(&shares, "key-shares", 5, "Number of key shares to split the unseal key into.")
	fs.IntVar(&shares, "n", 5, "Alias of -key-shares.")
	fs.IntVar(&threshold, "key-threshold", 3, "Number of key shares needed to unseal.")
	fs.IntVar(&threshold, "t", 3, "Alias of -key-threshold.")
	fs.BoolVar(&statusOnly, "status", false, "Print the initialisation status instead of initialising.")
	if code, done := c.parseArgs(fs, args, 0, exitUsage); done {
		return code
	}
	format, client, code, done := c.formatAndClient(cf, exitUsage, exitRemote)
	if done {
		return code
	}
	if statusOnly {
		return c.initStatus(ctx, client, format)
	}
	req := &api.InitRequest{SecretShares: shares, SecretThreshold: threshold}
	resp, err := client.Sys().InitWithContext(ctx, req)
	if err != nil {
		fmt.Fprintf(c.stderr, "Error initializing: %s\n", err)
		return exitRemote
	}
	if format == "json" {
		if err := writeJSON(c.stdout, newInitOutput(req, resp)); err != nil {
			fmt.Fprintf(c.stderr, "Error writing the output: %s\n", err)
			return exitRemote
		}
		return 0
	}
	c.printInit(req, resp)
	return 0
}

// initStatus answers `operator init -status`.
func (c *cli) initStatus(ctx context.Context, client *api.Client, format string) int {
	inited, err := client.Sys().InitStatusWithContext(ctx)
	if err != nil {
		fmt.Fprintf(c.stderr, "Error checking init status: %s\n", err)
		return 1
	}
	if format == "json" {
		_ = writeJSON(c.stdout, map[string]bool{"initialized": inited})
	} else if inited {
		fmt.Fprintln(c.stdout, "Vault is initialized")
	} else {
		fmt.Fprintln(c.stdout, "Vault is not initialized")
	}
	if !inited {
		return 2
	}
	return 0
}

// initOutput is `operator init -format=json`, with the keys the vault CLI
// prints.
type initOutput struct {
	UnsealKeysB64     []string `json:"unseal_keys_b64"`
	UnsealKeysHex     []string `json:"unseal_keys_hex"`
	UnsealShares      int      `json:"unseal_shares"`
	UnsealThreshold   int      `json:"unseal_threshold"`
	RecoveryKeysB64   []string `json:"recovery_keys_b64"`
	RecoveryKeysHex   []string `json:"recovery_keys_hex"`
	RecoveryShares    int      `json:"recovery_keys_shares"`
	RecoveryThreshold int      `json:"recovery_keys_threshold"`
	RootToken         string   `json:"root_token"`
}

func newInitOutput(req *api.InitRequest, resp *api.InitResponse) initOutput {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return initOutput{
		UnsealKeysB64:     nonNil(resp.KeysB64),
		UnsealKeysHex:     nonNil(resp.Keys),
		UnsealShares:      req.SecretShares,
		UnsealThreshold:   req.SecretThreshold,
		RecoveryKeysB64:   nonNil(resp.RecoveryKeysB64),
		RecoveryKeysHex:   nonNil(resp.RecoveryKeys),
		RecoveryShares:    req.RecoveryShares,
		RecoveryThreshold: req.RecoveryThreshold,
		RootToken:         resp.RootToken,
	}
}

// printInit prints the shares and root token as `vault operator init` does:
// base64 shares when the server sent them, hex otherwise.
func (c *cli) printInit(req *api.InitRequest, resp *api.InitResponse) {
	keys := resp.Keys
	if len(resp.KeysB64) == len(resp.Keys) {
		keys = resp.KeysB64
	}
	for i, k := range keys {
		fmt.Fprintf(c.stdout, "Unseal Key %d: %s\n", i+1, k)
	}
	fmt.Fprintf(c.stdout, "\nInitial Root Token: %s\n", resp.RootToken)
	if len(keys) == 0 {
		fmt.Fprintln(c.stdout, "\nSuccess! Vault is initialized")
		return
	}
	paragraphs := []string{
		fmt.Sprintf("Vault initialized with %d key shares and a key threshold of %d. "+
			"Hand each key share printed above to a different person and keep them apart. "+
			"Whenever the server restarts or is sealed, %d of these shares must be given "+
			"to unseal it before it serves any request.",
			req.SecretShares, req.SecretThreshold, req.SecretThreshold),
		fmt.Sprintf("The server does not keep the root key. Lose more than %d of the %d shares "+
			"and the data can never be unsealed again.",
			req.SecretShares-req.SecretThreshold, req.SecretShares),
	}
	for _, p := range paragraphs {
		fmt.Fprintf(c.stdout, "\n%s\n", wrapText(p, lineWidth))
	}
}

const unsealUsage = `Usage: vaultd operator unseal [options] [KEY]

  Give one unseal key share (hex or base64). Without KEY the share is read
  from the terminal without echo, or, when standard input is not a
  terminal, as one line from standard input:

    $ vaultd operator unseal
    $ kubectl exec -i vaultd-0 -- vaultd operator unseal < share-1.txt

  With -reset, the shares given so far are discarded.

Options:
`

func (c *cli) operatorUnseal(ctx context.Context, args []string) int {
	fs, cf := c.clientFlagSet("operator unseal", unsealUsage)
	var reset bool
	fs.BoolVar(&reset, "reset", false, "Discard the key shares given so far.")
	if code, done := c.parseArgs(fs, args, 1, exitUsage); done {
		return code
	}
	format, client, code, done := c.formatAndClient(cf, exitUsage, exitRemote)
	if done {
		return code
	}
	if reset {
		status, err := client.Sys().ResetUnsealProcessWithContext(ctx)
		if err != nil {
			fmt.Fprintf(c.stderr, "Error resetting unseal process: %s\n", err)
			return exitRemote
		}
		return c.printSealStatus(ctx, client, status, format)
	}
	key := strings.TrimSpace(fs.Arg(0))
	if key == "" {
		var err error
		if key, err = readUnsealKey(ctx, c.stdin, c.stderr); err != nil {
			fmt.Fprintf(c.stderr, "Error reading the unseal key: %s\n", err)
			return exitUsage
		}
	}
	status, err := client.Sys().UnsealWithContext(ctx, key)
	if err != nil {
		fmt.Fprintf(c.stderr, "Error unsealing: %s\n", err)
		return exitRemote
	}
	return c.printSealStatus(ctx, client, status, format)
}

const sealUsage = `Usage: vaultd operator seal [options]

  Seal the server: it drops its keys from memory and refuses every request
  until it is unsealed again. Needs a root token (VAULT_TOKEN).

Options:
`

func (c *cli) operatorSeal(ctx context.Context, args []string) int {
	fs, cf := c.clientFlagSet("operator seal", sealUsage)
	if code, done := c.parseArgs(fs, args, 0, exitUsage); done {
		return code
	}
	// seal prints no status, so -format is not checked.
	client, ok := c.apiClient(cf)
	if !ok {
		return exitRemote
	}
	if err := client.Sys().SealWithContext(ctx); err != nil {
		fmt.Fprintf(c.stderr, "Error sealing: %s\n", err)
		return exitRemote
	}
	fmt.Fprintln(c.stdout, "Success! Vault is sealed.")
	return 0
}
