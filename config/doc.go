// Package config reads vaultd's server configuration: HCL files in the syntax
// HashiCorp Vault's server config uses, or the same structure as JSON.
//
//	storage "bbolt" {
//	  path = "/vault/data"
//	}
//
//	listener "tcp" {
//	  address       = "{{ GetPrivateIP }}:8200"
//	  tls_cert_file = "/vault/tls/tls.crt"
//	  tls_key_file  = "/vault/tls/tls.key"
//	}
//
//	audit "file" "file/" {
//	  options = { file_path = "/vault/audit/audit.log" }
//	}
//
//	api_addr          = "https://vault.example.com:8200"
//	default_lease_ttl = "768h"
//
// Parse reads one file and checks every key and the form of every value;
// LoadFiles reads several files or directories, merges them the way Vault
// does (later files override scalar settings, listeners and audit devices
// accumulate, a later storage block replaces an earlier one), fills in the
// defaults and runs Validate on the whole. Every problem is reported as an
// *Error naming the file and line.
//
// The package imports nothing from vaultd.
package config
