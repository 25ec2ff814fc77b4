// Package deploy tests what a user installs and reads: the Kubernetes
// manifests in deploy/kubernetes, the Helm chart in deploy/helm/vaultd, the
// binary the Dockerfile builds, and the commands in docs/.
//
// The manifests and the chart's rendered output go through a real
// kube-apiserver (package test/kube) with `kubectl apply --dry-run=server`.
// Helm itself is built from the Go module proxy by EnsureHelm, from the
// version pinned in the helmtool/ module, and cached outside the work tree
// beside the Kubernetes binaries.
package deploy
