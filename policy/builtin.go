package policy

import (
	"errors"
	"fmt"
	"strings"
)

// Names of the built-in policies.
const (
	// Root is the policy that grants everything. It exists on no disk, cannot
	// be read as HCL, changed or deleted, and an ACL holding it may hold
	// nothing else.
	Root = "root"
	// Default is attached to every token unless it is created with
	// no_default_policy. It can be edited but not deleted.
	Default = "default"
)

// ErrInvalidName is matched (errors.Is) by errors about a policy name: a
// 400.
var ErrInvalidName = errors.New("invalid policy name")

// DefaultPolicyText is the text the default policy starts with: the same
// paths Vault's default policy grants, so a token can look after itself.
// Vault's identity-templated entity paths are left out, as vaultd has no
// identity store.
const DefaultPolicyText = `
# A token may read its own properties.
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# A token may extend its own life...
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# ...and end it.
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# A token may ask what it can do on a path.
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# A token may see the ACL its policies add up to (used by the UI).
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Renew a lease named in the request body: the old path and the new one.
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Look up a lease whose ID the caller already knows.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Every token owns a cubbyhole.
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Response wrapping: wrap a value, look up a wrapping token, unwrap one.
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# General-purpose hashing.
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Requests to the authorization endpoint of an OIDC provider.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
`

// NormalizeName is a policy name as Vault stores it: trimmed and
// lower-cased.
func NormalizeName(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

// ValidateName checks a policy name (after NormalizeName): it must not be
// empty or contain "/". The error matches ErrInvalidName.
func ValidateName(name string) error {
	n := NormalizeName(name)
	switch {
	case n == "":
		return fmt.Errorf("%w: policy name must not be empty", ErrInvalidName)
	case strings.Contains(n, "/"):
		return fmt.Errorf("%w: policy name %q must not contain \"/\"", ErrInvalidName, n)
	}
	return nil
}

// IsImmutable reports whether the named policy can never be written: root.
func IsImmutable(name string) bool {
	return NormalizeName(name) == Root
}

// IsUndeletable reports whether the named policy can never be deleted: root
// and default.
func IsUndeletable(name string) bool {
	n := NormalizeName(name)
	return n == Root || n == Default
}

// RootPolicy returns the built-in root policy. An ACL built from it grants
// every operation on every path.
func RootPolicy() *Policy {
	return &Policy{Name: Root, root: true}
}

// DefaultPolicy parses DefaultPolicyText as the default policy.
func DefaultPolicy() (*Policy, error) {
	p, err := Parse(Default, DefaultPolicyText)
	if err != nil {
		return nil, fmt.Errorf("built-in default policy: %w", err)
	}
	return p, nil
}
