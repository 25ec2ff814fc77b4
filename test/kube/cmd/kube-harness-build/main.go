// Command kube-harness-build builds and caches the etcd, kube-apiserver and
// kubectl binaries that vaultd's Kubernetes test harness (package
// test/kube) runs, so that `go test` finds them ready. It prints the
// cache directory. scripts/kube-harness-build runs it.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/test/toolcache"
)

func main() {
	os.Exit(toolcache.Main(func(ctx context.Context, logger *slog.Logger) (string, error) {
		bins, err := kube.EnsureBinaries(ctx, logger)
		return bins.Dir, err
	}))
}
