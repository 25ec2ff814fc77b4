// Package policy parses Vault's ACL policy language and answers the one
// question core asks on every request: may a token holding this set of
// policies perform this operation on this path, with these parameters?
//
// Policies are written in HCL v1 (the syntax Vault uses) or its JSON form:
//
//	path "secret/data/my-api" {
//	  capabilities = ["read"]
//	}
//
// Parse turns a policy's text into a *Policy, rejecting unknown keys and
// capabilities with an error that names the line. NewACL compiles a set of
// policies into an *ACL: exact patterns go into a map, trailing-glob patterns
// into a radix tree and "+" segment patterns into a segment trie, so that a
// check looks at the few rules that can match the path rather than every rule
// of every policy. When several patterns match, the highest-priority one alone
// decides, with Vault's ordering. Cache keeps compiled ACLs per distinct set
// of policy names and drops them when one of the policies changes.
//
// The package is pure: it does no I/O, keeps no package-level state and
// imports nothing from the rest of vaultd.
package policy
