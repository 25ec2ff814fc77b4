package main

import (
	"fmt"
	"io"

	"github.com/vaultd/vaultd/node"
)

// Build information, set by the linker:
//
//	go build -ldflags "-X main.commit=$(git rev-parse HEAD) -X main.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
//
// These are written only by the linker and never assigned at run time.
// version defaults to the version the server reports in seal-status, so
// that `vaultd version` and `vaultd status` agree.
var (
	version   = node.Version
	commit    = ""
	buildDate = ""
)

// versionString is the one-line version, in the shape of `vault version`:
// vaultd v1.0.0 ('abc123'), built 2025-01-01T00:00:00Z
func versionString() string {
	s := "vaultd v" + version
	if commit != "" {
		s += fmt.Sprintf(" ('%s')", commit)
	}
	if buildDate != "" {
		s += ", built " + buildDate
	}
	return s
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "Too many arguments (expected 0, got %d)\n", len(args))
		return 1
	}
	fmt.Fprintln(stdout, versionString())
	return 0
}
