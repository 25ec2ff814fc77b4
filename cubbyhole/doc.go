// Package cubbyhole implements vaultd's cubbyhole secrets engine: a private
// key/value store per token. Each token sees only its own secrets; no
// policy can grant one token access to another's cubbyhole, and when a token
// is revoked its cubbyhole is destroyed.
//
// A token's secrets live in the mount's storage view under a prefix derived
// from the SHA-256 of the token's accessor (DestroyPrefix), never from the
// token itself. Paths and operations follow Vault's cubbyhole engine: GET,
// POST/PUT, DELETE and LIST directly at the path, with the value a JSON
// object. A request without a token is refused with a 400.
package cubbyhole
