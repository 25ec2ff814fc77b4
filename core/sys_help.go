package core

import (
	"maps"
	"slices"
	"strings"

	"github.com/vaultd/vaultd/logical"
)

// sysHelpText is the synopsis of sys/ paths, keyed by route pattern.
var sysHelpText = map[string]string{
	`mounts`:                     "List the mounted secrets engines.",
	`rotate`:                     "Rotate the barrier encryption key (a new key term).",
	`rotate/(?:keyring/)?config`: "Configure automatic rotation of the barrier key: max_operations, interval, enabled.",
	`key-status`:                 "Report the barrier key's term and install time.",
	`seal`:                       "Seal the server.",
	`tools/random(?:/(platform|seal|all))?(?:/([^/]+))?`: "Generate random bytes (bytes, format hex or base64).",
	`tools/hash(?:/([^/]+))?`:                            "Hash base64 input with a SHA-2 or SHA-3 algorithm.",
	`host-info`:                                          "Report the host's CPU, memory and operating system.",
	`leases/count`:                                       "Count the secret leases, in all and by mount.",
	`leases/tidy`:                                        "Clean up the lease index: revoke leases whose token is gone.",
	`leases/lookup`:                                      "Look up a lease by its ID.",
	`leases/lookup/(.*)`:                                 "List the leases under a prefix.",
	`quotas/rate-limit/([^/]+)`:                          "Create, read, update or delete a rate-limit quota (rate, interval, path, block_interval).",
	`quotas/rate-limit/?`:                                "List the rate-limit quotas.",
	`metrics`:                                            "Export the server's metrics (format=prometheus for the Prometheus text format).",
}

// sysHelpFields are the documented fields of sys/ paths whose handlers
// decode a schema.
var sysHelpFields = map[string]map[string]*logical.FieldSchema{
	`rotate/(?:keyring/)?config`:                         rotateConfigSchema,
	`tools/random(?:/(platform|seal|all))?(?:/([^/]+))?`: randomSchema,
	`tools/hash(?:/([^/]+))?`:                            hashSchema,
	`quotas/rate-limit/([^/]+)`:                          quotaSchema,
}

// Help implements logical.HelpProvider from the sys/ route table.
func (b *sysBackend) Help(path string) (*logical.PathHelp, bool) {
	rt, _ := b.find(strings.TrimSuffix(path, "/"))
	if rt == nil {
		rt, _ = b.find(path)
	}
	if rt == nil {
		return nil, false
	}
	pattern := strings.TrimSuffix(strings.TrimPrefix(rt.pattern.String(), "^"), "$")
	return &logical.PathHelp{
		Pattern:    pattern,
		Operations: slices.Collect(maps.Keys(rt.handlers)),
		Fields:     sysHelpFields[pattern],
		Synopsis:   sysHelpText[pattern],
	}, true
}
