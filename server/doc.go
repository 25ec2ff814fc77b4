// Package server is vaultd's HTTP layer. It owns the listener and TLS, the
// chi routes under /v1/, the translation of an HTTP request into a
// logical.Request and of a logical.Response (or error) back into Vault's JSON
// envelope and error format.
//
// A handful of sys/ endpoints that must work while the server is sealed
// (sys/init, sys/unseal, sys/seal-status, sys/health, sys/leader) and
// sys/seal are answered here by calling the core directly; every other /v1/
// path is handed to Core.HandleRequest. While the core is sealed, everything
// else answers 503 "Vault is sealed" before any request body is read.
//
// The package knows HTTP; the core does not. It talks to the core through the
// Core interface, which *core.Core satisfies.
//
// Nothing here logs a token, an unseal key share, a request body or a
// response body: a request is logged as its method, path (with anything that
// looks like a token redacted), status and duration.
package server
