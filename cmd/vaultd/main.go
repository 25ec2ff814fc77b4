package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/vaultd/vaultd/agent"
)

func main() {
	// SIGINT and SIGTERM cancel ctx: the server drains and stops, a client
	// command abandons its request or its prompt.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitUnknownCommand is the exit code for a command that does not exist, as
// the vault CLI uses.
const exitUnknownCommand = 127

const mainUsage = `Usage: vaultd <command> [args]

Commands:
    server      Start a vaultd server
    agent       Log in, render secrets to files and keep them fresh
    status      Print the seal status
    operator    Initialise, unseal and seal a server
    version     Print the version

Run "vaultd <command> -h" for a command's flags.
`

// cli is a client command's standard streams.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// run dispatches to the subcommand named by args[0] and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return 1
	}
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	switch args[0] {
	case "server":
		return runServer(ctx, args[1:], stdout, stderr)
	case "agent":
		return agent.Main(ctx, args[1:], stdout, stderr)
	case "status":
		return c.status(ctx, args[1:])
	case "operator":
		return c.operator(ctx, args[1:])
	case "version", "-v", "-version", "--version":
		return runVersion(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, mainUsage)
		return 0
	}
	fmt.Fprintf(stderr, "Unknown command %q\n\n%s", args[0], mainUsage)
	return exitUnknownCommand
}

const operatorUsage = `Usage: vaultd operator <subcommand> [options] [args]

Subcommands:
    init      Initialise a server: generate the root key, split it into shares
    unseal    Give one unseal key share
    seal      Seal the server (needs a root token)
`

func (c *cli) operator(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, operatorUsage)
		return 1
	}
	switch args[0] {
	case "init":
		return c.operatorInit(ctx, args[1:])
	case "unseal":
		return c.operatorUnseal(ctx, args[1:])
	case "seal":
		return c.operatorSeal(ctx, args[1:])
	case "help", "-h", "-help", "--help":
		fmt.Fprint(c.stdout, operatorUsage)
		return 0
	}
	fmt.Fprintf(c.stderr, "Unknown command \"operator %s\"\n\n%s", args[0], operatorUsage)
	return exitUnknownCommand
}
