// Package logical is the contract between vaultd's core and every engine it
// mounts: secrets engines, auth methods and the token store.
//
// An engine sees a Request whose Path is relative to its mount, reads and
// writes only the Storage view it was given, and answers with a Response or
// an error. Errors that should reach the client with a particular HTTP status
// are CodedErrors; anything else becomes a 500.
//
// The package imports nothing from vaultd: engines depend on it, never on core
// or the HTTP layer.
package logical
