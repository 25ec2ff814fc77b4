package token

import (
	"maps"
	"slices"
	"strings"

	"github.com/vaultd/vaultd/logical"
)

// helpText is the synopsis of each of the token store's paths, keyed as
// its route table is.
var helpText = map[string]string{
	"create":          "Create a token, a child of the calling token.",
	"create-orphan":   "Create a token with no parent.",
	"create/":         "Create a token from a token role.",
	"lookup":          "Look up a token's properties.",
	"lookup-self":     "Look up the calling token's properties.",
	"lookup-accessor": "Look up a token's properties by its accessor.",
	"renew":           "Renew a token.",
	"renew-self":      "Renew the calling token.",
	"renew-accessor":  "Renew a token by its accessor.",
	"revoke":          "Revoke a token and its children.",
	"revoke-self":     "Revoke the calling token and its children.",
	"revoke-accessor": "Revoke a token by its accessor.",
	"revoke-orphan":   "Revoke a token, leaving its children as orphans (sudo).",
	"roles":           "List the token roles.",
	"roles/":          "Create, read, update or delete a token role.",
	"accessors":       "List the accessors of every token (sudo).",
}

// Help implements logical.HelpProvider from the store's route table.
func (b *backend) Help(path string) (*logical.PathHelp, bool) {
	r, _, err := b.match(path)
	if err != nil {
		return nil, false
	}
	pattern, key := strings.TrimSuffix(path, "/"), strings.TrimSuffix(path, "/")
	switch {
	case r == b.role:
		pattern, key = `roles/(?P<role_name>\w(([\w-.]+)?\w)?)`, "roles/"
	case r == b.create && path != "create":
		pattern, key = `create/(?P<role_name>\w(([\w-.]+)?\w)?)`, "create/"
	}
	ops := slices.Collect(maps.Keys(r.ops))
	return &logical.PathHelp{Pattern: pattern, Operations: ops, Fields: r.schema, Synopsis: helpText[key]}, true
}
