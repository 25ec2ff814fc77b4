// Package injector is `vaultd injector`: a Kubernetes mutating admission
// webhook that reads the vault.hashicorp.com/* annotations of a pod being
// created and answers with a JSONPatch adding the agent (`vaultd agent`) as
// an init container, a sidecar, or a native sidecar, together with the
// in-memory volume the agent renders secrets into.
//
// The annotations, their defaults, the agent configuration it emits (JSON
// in VAULT_CONFIG, base64) and the command-line flags and AGENT_INJECT_*
// variables follow HashiCorp's Vault Agent injector, so existing manifests
// and chart values carry over. The webhook serves TLS from files or from a
// CA and certificate it makes itself (-tls-auto), in which case it writes
// the CA into the caBundle of its MutatingWebhookConfiguration.
//
// The files: annotations.go parses a pod into a plan, agentconfig.go turns
// a plan into the agent's configuration, mutate.go into containers, volumes
// and a patch, webhook.go serves AdmissionReview, tls.go the certificates,
// command.go the flags.
package injector
