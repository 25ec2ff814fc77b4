// Package auditreport reads Vault-format file audit logs - vaultd's or
// HashiCorp Vault's, rotated, gzipped or not - and answers "who did what
// to which secret, when".
//
// A Reader streams the files oldest first, line by line, without loading
// any whole, and turns each request into one Record: the request entry
// joined with its response entry by request id, and the caller's token
// joined with the login that created it by the token's HMAC (the only
// link a log holds), which gives a Kubernetes login's namespace and
// service account. Nothing is un-HMAC'd; the reader never needs the
// server's keys. A line that is not an audit entry is reported with its
// file and line number and the rest is still read.
//
// The command's flags and output live in package command
// (auditreport.go); this package prints nothing.
package auditreport
