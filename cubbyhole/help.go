package cubbyhole

import "github.com/vaultd/vaultd/logical"

// Help implements logical.HelpProvider: one pattern, any path.
func (b *Backend) Help(string) (*logical.PathHelp, bool) {
	return &logical.PathHelp{
		Pattern:    `.*`,
		Operations: []logical.Operation{logical.ReadOperation, logical.CreateOperation, logical.UpdateOperation, logical.DeleteOperation, logical.ListOperation},
		Synopsis:   "Per-token private secret storage.",
		Description: "Each token has its own cubbyhole: no other token, not even root, can read it, " +
			"and it is destroyed when the token is revoked or expires.",
	}, true
}
