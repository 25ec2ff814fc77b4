// Package authutil holds what vaultd's login methods (jwt, kubernetes,
// userpass, approle) share apart from the token_* fields, which live in
// tokenutil: the defaults taken from a BackendConfig, Vault's rule for
// names in paths, and the request routing of a method built on roles and
// one config entry.
package authutil
