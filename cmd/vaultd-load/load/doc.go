// Package load drives a Vault-compatible server's KV version 2 engine over
// HTTP with a fixed number of concurrent clients and measures throughput
// and latency. It is the engine of cmd/vaultd-load and of the end-to-end
// benchmarks, and uses nothing but net/http so that the client's own cost
// stays small next to the server's.
//
// A read run first writes Config.Keys keys, then every client reads them
// round-robin. A write run has each client write its own Config.Keys keys
// in turn, so every write makes a new version (and, past the mount's
// max_versions, prunes the oldest). Latency is the round trip of one
// request as the client sees it; percentiles are nearest-rank.
package load
