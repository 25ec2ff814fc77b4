// Package command is the client side of the vaultd binary: the commands a
// user of HashiCorp's `vault` CLI types (read, write, kv, policy, auth,
// secrets, token, login, audit, lease, operator, status, print), with that
// CLI's flags, environment, token helper file, output layouts and exit
// codes, built on github.com/hashicorp/vault/api.
//
// Each command family has a file of its own; every byte of output goes
// through format.go. Exit codes: 0 success, 1 a local error (usage, flags,
// a file that cannot be read), 2 an error from the server or one that
// cannot be reached. cmd/vaultd dispatches to Run; server, agent and
// injector live elsewhere.
package command
