// Command deploy-tools-build builds and caches the Helm binary that the
// deploy tests (package test/deploy) run, so that `go test` finds it ready.
// It prints the binary's path.
package main

import (
	"os"

	"github.com/vaultd/vaultd/test/deploy"
	"github.com/vaultd/vaultd/test/toolcache"
)

func main() {
	os.Exit(toolcache.Main(deploy.EnsureHelm))
}
