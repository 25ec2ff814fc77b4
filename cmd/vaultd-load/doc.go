// Command vaultd-load measures KV version 2 throughput and latency of a
// vaultd (or Vault) server over HTTP: a fixed number of clients, each with
// one request in flight, read or write secrets for a duration or a request
// count, and the tool prints requests per second with p50, p99 and maximum
// latency.
//
//	vaultd-load -addr=http://127.0.0.1:8200 -token=root -op=write -c=16 -duration=10s
//	vaultd-load -op=read -c=64 -n=100000
//
// -addr and -token default to VAULT_ADDR and VAULT_TOKEN. The mount must be
// KV version 2 (secret/ on a dev server); keys are written under -prefix.
package main
