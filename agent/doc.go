// Package agent is `vaultd agent`: the client half of the system that Vault
// Agent plays next to a pod. It reads Vault Agent's config (HCL or JSON, or
// VAULT_CONFIG), logs in with the pod's service-account token (or a token
// file), keeps the token renewed and writes it to sinks, renders templates
// in the consul-template language to files with atomic writes, refreshes
// them as secrets change or leases run out, answers a readiness probe and,
// when asked, proxies an app's API calls with the agent's token.
//
// It is a client: it talks to vaultd over HTTP through vault/api and the
// consul-template engine, never by importing the server's packages.
package agent
