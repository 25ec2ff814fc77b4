// Package tokenutil holds the token-property rules that the token store
// (auth/token) and the auth methods apply alike: how a list of policy
// names is cleaned up, the glob with which roles bind names and policies,
// and (Params) the common token_* role fields of an auth method: their
// schema, Vault's upgrade rule for the deprecated names, the limits, how a
// read reports them and how a login's token takes them.
//
// The token store's own roles take different fields and are read by
// auth/token itself.
package tokenutil
