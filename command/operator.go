package command

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"
)

// The operator family: init, unseal, seal, key-status, rotate.

func operatorCommands() []spec {
	return []spec{
		{name: "operator init", synopsis: "Initializes a server", run: runOperatorInit, help: `Usage: vault operator init [options]

  Initialises a new server: generates the root key, splits the unseal key
  into shares, and prints the shares and the initial root token. They are
  shown once and never again.

  With -status, prints whether the server is initialised; the exit code is
  0 initialised, 1 error, 2 not initialised.
`},
		{name: "operator unseal", synopsis: "Unseals the server", run: runOperatorUnseal, help: `Usage: vault operator unseal [options] [KEY]

  Gives one unseal key share (hex or base64). Without KEY the share is read
  from the terminal without echo, or, when standard input is not a
  terminal, as one line from standard input:

      $ vault operator unseal
      $ kubectl exec -i vaultd-0 -- vault operator unseal < share-1.txt

  With -reset, the shares given so far are discarded.
`},
		{name: "operator seal", synopsis: "Seals the server", run: runOperatorSeal, help: `Usage: vault operator seal [options]

  Seals the server: it drops its keys from memory and refuses every request
  until it is unsealed again. Needs a root token.
`},
		{name: "operator key-status", synopsis: "Provides information about the active encryption key", run: runKeyStatus, help: `Usage: vault operator key-status [options]

  Prints the term and install time of the barrier's active key.
`},
		{name: "operator rotate", synopsis: "Rotates the underlying encryption key", run: runRotate, help: `Usage: vault operator rotate [options]

  Adds a new barrier key term; new writes are encrypted with it.
`},
	}
}

func runOperatorInit(b *base, args []string) int {
	fs := b.flags(flagsHTTP | flagsFormat)
	var shares, threshold int
	var statusOnly bool
	fs.IntVar(&shares, "key-shares", 5, "Number of key shares to split the unseal key into.")
	fs.IntVar(&shares, "n", 5, "Alias of -key-shares.")
	fs.IntVar(&threshold, "key-threshold", 3, "Number of key shares needed to unseal.")
	fs.IntVar(&threshold, "t", 3, "Alias of -key-threshold.")
	fs.BoolVar(&statusOnly, "status", false, "Print the initialisation status instead of initialising.")
	client, _, code, ok := b.connect(args, 0, 0)
	if !ok {
		return code
	}
	p := b.out()
	if statusOnly {
		inited, err := client.Sys().InitStatusWithContext(b.ctx)
		if err != nil {
			b.errorf("Error checking init status: %s", err)
			return exitLocal
		}
		switch {
		case p.format != "table":
			p.encode(map[string]bool{"initialized": inited})
		case inited:
			p.linef("Vault is initialized")
		default:
			p.linef("Vault is not initialized")
		}
		if !inited {
			return exitRemote
		}
		return exitOK
	}
	req := &api.InitRequest{SecretShares: shares, SecretThreshold: threshold}
	resp, err := client.Sys().InitWithContext(b.ctx, req)
	if err != nil {
		return b.remote("Error initializing", err)
	}
	if p.format != "table" {
		if p.encode(newInitOutput(req, resp)) != exitOK {
			return exitRemote
		}
		return exitOK
	}
	printInit(p, req, resp)
	return exitOK
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
func printInit(p *printer, req *api.InitRequest, resp *api.InitResponse) {
	keys := resp.Keys
	if len(resp.KeysB64) == len(resp.Keys) {
		keys = resp.KeysB64
	}
	for i, k := range keys {
		p.linef("Unseal Key %d: %s", i+1, k)
	}
	p.linef("\nInitial Root Token: %s", resp.RootToken)
	if len(keys) == 0 {
		p.linef("\nSuccess! Vault is initialized")
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
	for _, para := range paragraphs {
		p.linef("\n%s", wrapText(para, lineWidth))
	}
}

func runOperatorUnseal(b *base, args []string) int {
	fs := b.flags(flagsHTTP | flagsFormat)
	var reset bool
	fs.BoolVar(&reset, "reset", false, "Discard the key shares given so far.")
	client, pos, code, ok := b.connect(args, 0, 1)
	if !ok {
		return code
	}
	if reset {
		status, err := client.Sys().ResetUnsealProcessWithContext(b.ctx)
		if err != nil {
			return b.remote("Error resetting unseal process", err)
		}
		return b.printSealStatus(client, status)
	}
	key := ""
	if len(pos) == 1 {
		key = strings.TrimSpace(pos[0])
	}
	if key == "" {
		var err error
		if key, err = readUnsealKey(b.ctx, b.streams.Stdin, b.streams.Stderr); err != nil {
			b.errorf("Error reading the unseal key: %s", err)
			return exitLocal
		}
	}
	status, err := client.Sys().UnsealWithContext(b.ctx, key)
	if err != nil {
		return b.remote("Error unsealing", err)
	}
	return b.printSealStatus(client, status)
}

func runOperatorSeal(b *base, args []string) int {
	b.flags(flagsHTTP)
	client, _, code, ok := b.connect(args, 0, 0)
	if !ok {
		return code
	}
	if err := client.Sys().SealWithContext(b.ctx); err != nil {
		return b.remote("Error sealing", err)
	}
	return b.out().success("Vault is sealed.")
}

func runKeyStatus(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat)
	client, _, code, ok := b.connect(args, 0, 0)
	if !ok {
		return code
	}
	st, err := client.Sys().KeyStatusWithContext(b.ctx)
	if err != nil {
		return b.remote("Error reading key status", err)
	}
	p := b.out()
	if p.format != "table" {
		return p.encode(st)
	}
	rows := [][]string{{"Key", "Value"},
		{"Key Term", fmt.Sprint(st.Term)},
		{"Install Time", st.InstallTime.UTC().Format(time.RFC822)},
		{"Encryption Count", fmt.Sprint(st.Encryptions)},
	}
	p.table(rows)
	return exitOK
}

func runRotate(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat)
	client, _, code, ok := b.connect(args, 0, 0)
	if !ok {
		return code
	}
	if err := client.Sys().RotateWithContext(b.ctx); err != nil {
		return b.remote("Error rotating key", err)
	}
	st, err := client.Sys().KeyStatusWithContext(b.ctx)
	if err != nil {
		return b.remote("Error reading key status", err)
	}
	p := b.out()
	if p.format != "table" {
		return p.encode(st)
	}
	p.linef("Success! Rotated key\n")
	p.aligned([][]string{{"Key Term", fmt.Sprint(st.Term)}, {"Install Time", st.InstallTime.UTC().Format(time.RFC822)}})
	return exitOK
}
