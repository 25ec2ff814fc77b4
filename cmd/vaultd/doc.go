// Command vaultd is a secrets server that speaks HashiCorp Vault's HTTP API,
// and the client for it. It does the same under the name vault (the image
// links /usr/local/bin/vault to it).
//
//	vaultd server -config=/vault/config     run the server (or -dev)
//	vaultd version                           print the version
//	vault <command> …                        the client commands of package command:
//	                                         read, write, kv, policy, auth, secrets,
//	                                         token, login, audit, lease, operator, status
//
// This package only dispatches: the server is here, every client command is
// in github.com/vaultd/vaultd/command.
package main
