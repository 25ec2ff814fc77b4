// Command kube-harness-build builds and caches the etcd, kube-apiserver and
// kubectl binaries that vaultd's Kubernetes test harness (package
// test/kube) runs, so that `go test` finds them ready. It prints the
// cache directory. scripts/kube-harness-build runs it.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/vaultd/vaultd/test/kube"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	bins, err := kube.EnsureBinaries(ctx, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(bins.Dir)
}
