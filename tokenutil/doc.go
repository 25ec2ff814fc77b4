// Package tokenutil holds the token-property rules that the token store
// (auth/token) and the auth methods (auth/kubernetes) apply alike: how a
// list of policy names is cleaned up, and the glob with which roles bind
// names and policies.
//
// The token_* role fields themselves are read by each package: the token
// store's roles and the auth methods' roles take different fields, accept
// different token types and treat the deprecated names differently, as
// Vault's do.
package tokenutil
