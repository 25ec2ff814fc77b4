// Package injector tests `vaultd injector` end to end: the binary runs as
// a child process, registers itself with a real kube-apiserver (test/kube),
// and the API server calls it for every pod the tests create. The stored
// pods are read back through the API; the agent containers they carry are
// then run as processes against a real vaultd.
package injector
