package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/vaultd/vaultd/agent"
	"github.com/vaultd/vaultd/command"
	"github.com/vaultd/vaultd/injector"
)

func main() {
	// SIGINT and SIGTERM cancel ctx: the server drains and stops, a client
	// command abandons its request or its prompt. The name the binary runs
	// under (vaultd, or vault through the image's link) changes nothing.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitUnknownCommand is the exit code for a command that does not exist, as
// the vault CLI uses.
const exitUnknownCommand = 127

const mainUsage = `Usage: vaultd <command> [args]
       vault <command> [args]

Server commands:
    server      Start a vaultd server
    injector    Run the Kubernetes webhook that injects the agent into pods
    agent       Log in, render secrets to files and keep them fresh
    version     Print the version

Client commands:
`

const mainUsageTail = `
Run "vaultd <command> -h" for a command's flags.
`

func usage() string { return mainUsage + command.Synopses() + mainUsageTail }

// run dispatches to the subcommand named by args[0] and returns the exit
// code. The server side is here; every client command is in command/.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 1
	}
	switch args[0] {
	case "server":
		return runServer(ctx, args[1:], stdout, stderr)
	case "injector":
		return injector.Run(ctx, args[1:], stdout, stderr)
	case "agent":
		return agent.Main(ctx, args[1:], stdout, stderr)
	case "version", "-v", "-version", "--version":
		return runVersion(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage())
		return 0
	}
	if command.Has(args[0]) {
		return command.Run(ctx, args, command.Streams{Stdin: stdin, Stdout: stdout, Stderr: stderr})
	}
	fmt.Fprintf(stderr, "Unknown command %q\n\n%s", args[0], usage())
	return exitUnknownCommand
}
