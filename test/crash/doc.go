// Package crash holds vaultd's crash-safety test: the real vaultd binary,
// built once, runs as a child process over bbolt while 64 clients write
// through the HTTP API; it is killed with SIGKILL mid-stream, the data file
// is checked with bbolt's consistency check, and after a restart and unseal
// every write the server acknowledged with a 200 must read back with its
// value. The package has no non-test code.
package crash
