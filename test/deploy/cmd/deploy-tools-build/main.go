// Command deploy-tools-build builds and caches the Helm binary that the
// deploy tests (package test/deploy) run, so that `go test` finds it ready.
// It prints the binary's path.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/vaultd/vaultd/test/deploy"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	bin, err := deploy.EnsureHelm(ctx, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(bin)
}
