// Package migrate moves Kubernetes Secrets into vaultd's KV v2 store and
// works out what the workloads that consumed them need instead: a
// least-privilege policy, a Kubernetes auth role bound to the workload's
// service account, and a patch that adds the Vault Agent injector's
// annotations with templates rendering the same keys.
//
// Build reads the cluster (through client-go) and returns a Plan; it
// writes nothing. Apply carries a Plan out against a vaultd (through
// github.com/hashicorp/vault/api) and, when asked, deletes the Secrets.
// Every step of Apply first reads what is there and writes only what
// differs, so a re-run is idempotent and a run that was interrupted is
// resumed by running it again. The command's flags and output live in
// package command (migrate.go); this package prints nothing.
package migrate
