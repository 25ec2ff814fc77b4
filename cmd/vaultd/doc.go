// Command vaultd is a secrets server that speaks HashiCorp Vault's HTTP API,
// and the client for its unseal ceremony.
//
//	vaultd server -config=/vault/config     run the server (or -dev)
//	vaultd status                            seal state; exit 2 when sealed
//	vaultd operator init                     initialise: print the shares and root token
//	vaultd operator unseal [KEY]             give one unseal key share
//	vaultd operator seal                     seal the server
//	vaultd version                           print the version
//
// Flags are Vault's single-dash flags. The client subcommands read
// VAULT_ADDR, VAULT_TOKEN, VAULT_CACERT and VAULT_SKIP_VERIFY (and the other
// variables github.com/hashicorp/vault/api reads), as the vault CLI does.
package main
