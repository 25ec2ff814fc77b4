// Package kv implements vaultd's key/value secrets engines: version 2, the
// versioned store whose HTTP API (config, data/, metadata/, delete/,
// undelete/, destroy/, subkeys/) matches HashiCorp Vault's KV v2, and
// version 1, the plain store that reads and writes a JSON object directly
// at a path.
//
// Factory picks the version from the mount: type "kv-v2" or option
// version=2 gives KV v2, anything else KV v1. Both engines see only the
// logical contract and their mount's storage view.
//
// Storage layout of a KV v2 mount (all inside the barrier):
//
//	kv2/upgraded                    marker: the mount has been initialised as v2
//	kv2/config                      the engine configuration
//	kv2/meta/<secret path>          the key metadata of one secret (metacodec.go; older entries JSON)
//	kv2/data/<sha256(path)>/<n>     the data of version n of that secret, JSON
//
// Secret values never appear in a storage key; paths do. Every write
// commits the metadata and the version data it refers to in one atomic
// Storage.Commit, so a crash never leaves metadata naming a version that is
// not there. Writers to one secret are serialised by a striped lock keyed by
// a hash of its path; writers to different secrets proceed in parallel.
//
// A KV v1 mount stores each secret's JSON object at its path. When a mount
// that holds v1 data is first opened as v2, every v1 secret becomes version 1
// of a v2 secret in a single commit.
package kv
