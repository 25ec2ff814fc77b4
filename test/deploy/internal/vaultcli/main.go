// Command vaultcli stands in for HashiCorp's `vault` CLI when the docs
// tests run on a machine that does not have it. It implements the commands
// the docs use (status, kv put/get, read, write, list, delete, auth enable,
// secrets enable, policy write/read, token create/lookup, login) on top of
// github.com/hashicorp/vault/api, the library the real CLI is built on, so
// the requests it sends are the ones the CLI sends. Anything else fails,
// so a doc cannot use a command that this program has not been taught.
//
// Output: -field=NAME prints one value raw, as the CLI does;
// -format=json prints the response as JSON; otherwise a two-column table.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	if err := c.dispatch(ctx, args); err != nil {
		fmt.Fprintln(stderr, "Error:", err)
		return 2
	}
	return 0
}
