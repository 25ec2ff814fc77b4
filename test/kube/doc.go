// Package kube runs a real Kubernetes API server for vaultd's tests.
//
// The programs come from the Go module proxy: kube-apiserver and kubectl
// from k8s.io/kubernetes and etcd from go.etcd.io/etcd/server/v3, pinned by
// the test-only module in the apiserver/ directory. EnsureBinaries builds
// them once and caches them outside the work tree (by default under
// $HOME/.cache/vaultd-test/kube-<version>/); scripts/kube-harness-build does
// the same ahead of `go test` so that no test waits minutes for a build.
//
// A Cluster is etcd plus kube-apiserver on free 127.0.0.1 ports, with a
// generated service-account signing key, a static admin bearer token, RBAC
// authorization and a serving certificate from a CA the harness makes. No
// controller manager runs, so nothing creates service accounts or pods by
// itself: tests create what they need with the helpers here.
//
// Tests that need a cluster skip, saying so, only under `go test -short`.
// A package shares one cluster between its tests with a Shared value that
// its TestMain stops; Start gives one test a cluster of its own.
package kube
