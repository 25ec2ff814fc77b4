//go:build tools

// Package apiserver pins the programs the Kubernetes test harness runs:
// kube-apiserver and kubectl from k8s.io/kubernetes, and etcd from
// go.etcd.io/etcd/server/v3. It is a test-only module; nothing in vaultd
// imports it. The harness (package kube, one directory up) builds these
// programs with `go build` from this module and caches the binaries outside
// the work tree.
package apiserver

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
