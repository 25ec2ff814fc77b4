// Package ha holds the high-availability tests: three vaultd child
// processes on loopback, each with its own data directory, API port and
// cluster port, forming a Raft cluster and driven by the real vault/api
// client. Leaders are killed with SIGKILL, paused with SIGSTOP, restarted
// and replaced, as on a real StatefulSet.
package ha
