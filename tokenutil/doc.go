// Package tokenutil holds the token-property rules that the token store
// (auth/token) and the auth methods apply alike: how a list of policy names
// is cleaned up, the glob with which roles bind names and policies, CIDR
// bindings, and the common token_* role fields (TokenParams) that userpass
// and AppRole read, store, report and turn into a login's Auth in one place.
package tokenutil
