// Command vaultd-load measures throughput, latency and server CPU of a
// vaultd (or Vault) server over HTTP: a fixed number of clients, each with
// one request in flight, read or write KV version 2 secrets (op=read,
// write, or mixed: nine reads to one write) or log in with JWTs
// (op=login) for a duration or a request count, and the tool prints
// requests per second with p50, p99 and maximum latency. With -pid it also
// reads the server process's CPU time (user + system, from /proc/<pid>/stat)
// before and after the timed part and prints the server CPU per request,
// the figure that stays meaningful when client and server share a busy
// machine.
//
//	vaultd-load -addr=http://127.0.0.1:8200 -token=root -op=write -c=16 -duration=10s
//	vaultd-load -op=read,mixed,login -c=64 -n=100000 -pid=$(pidof vaultd)
//
// A login run enables a JWT auth method at -login-mount (when missing),
// configures it with a public key it generates, and has each client log
// in with its own signed JWT; every login mints a token with a two-minute
// TTL.
//
// -addr and -token default to VAULT_ADDR and VAULT_TOKEN. The mount must be
// KV version 2 (secret/ on a dev server); keys are written under -prefix.
package main
