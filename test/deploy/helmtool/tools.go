//go:build tools

// Package helmtool pins the Helm release that vaultd's deploy tests build
// and run (helm lint, helm template). It is a module of its own so that
// Helm's dependencies never enter vaultd's go.mod; nothing imports it.
package helmtool

import (
	_ "helm.sh/helm/v3/cmd/helm"
)
