package policy

import (
	"fmt"
	"strings"
)

// Capability names as they appear in policies and in capability responses.
const (
	CapDeny   = "deny"
	CapCreate = "create"
	CapRead   = "read"
	CapUpdate = "update"
	CapPatch  = "patch"
	CapDelete = "delete"
	CapList   = "list"
	CapSudo   = "sudo"
	// CapRoot is reported, never written: it is the capability of the root
	// policy on every path.
	CapRoot = "root"
)

// capSet is a bit set of capabilities.
type capSet uint16

const (
	capDeny capSet = 1 << iota
	capCreate
	capRead
	capUpdate
	capPatch
	capDelete
	capList
	capSudo
)

// capFromName maps a capability written in a policy to its bit.
func capFromName(name string) (capSet, bool) {
	switch name {
	case CapDeny:
		return capDeny, true
	case CapCreate:
		return capCreate, true
	case CapRead:
		return capRead, true
	case CapUpdate:
		return capUpdate, true
	case CapPatch:
		return capPatch, true
	case CapDelete:
		return capDelete, true
	case CapList:
		return capList, true
	case CapSudo:
		return capSudo, true
	}
	return 0, false
}

// alphabetical lists the capability bits in the order their names sort.
func alphabetical() [8]capSet {
	return [8]capSet{capCreate, capDelete, capDeny, capList, capPatch, capRead, capSudo, capUpdate}
}

// capName is the name of one capability bit.
func capName(c capSet) string {
	switch c {
	case capDeny:
		return CapDeny
	case capCreate:
		return CapCreate
	case capRead:
		return CapRead
	case capUpdate:
		return CapUpdate
	case capPatch:
		return CapPatch
	case capDelete:
		return CapDelete
	case capList:
		return CapList
	case capSudo:
		return CapSudo
	}
	return ""
}

// list returns the names in the set, sorted; ["deny"] alone when it holds
// deny; empty when it is empty.
func (c capSet) list() []string {
	if c&capDeny != 0 {
		return []string{CapDeny}
	}
	out := make([]string, 0, 8)
	for _, b := range alphabetical() {
		if c&b != 0 {
			out = append(out, capName(b))
		}
	}
	return out
}

// names is list() as Vault reports capabilities: ["deny"] for an empty set.
func (c capSet) names() []string {
	if c == 0 {
		return []string{CapDeny}
	}
	return c.list()
}

// capsFromNames is the set named by a capability list; deny wins over
// everything else.
func capsFromNames(names []string) (capSet, error) {
	var c capSet
	for _, n := range names {
		b, ok := capFromName(n)
		if !ok {
			return 0, fmt.Errorf("invalid capability %q", n)
		}
		c |= b
	}
	if c&capDeny != 0 {
		return capDeny, nil
	}
	return c, nil
}

// resultantNames lists the capabilities in the order Vault's
// sys/internal/ui/resultant-acl uses; ["deny"] for deny or nothing.
func (c capSet) resultantNames() []string {
	if c&capDeny != 0 || c == 0 {
		return []string{CapDeny}
	}
	out := make([]string, 0, 7)
	for _, b := range [7]capSet{capCreate, capDelete, capList, capRead, capSudo, capUpdate, capPatch} {
		if c&b != 0 {
			out = append(out, capName(b))
		}
	}
	return out
}

// legacyCapabilities maps the legacy `policy = "..."` shorthand to the
// capabilities Vault gives it.
func legacyCapabilities(policy string) (capSet, bool) {
	switch policy {
	case "deny":
		return capDeny, true
	case "read":
		return capRead | capList, true
	case "write":
		return capCreate | capRead | capUpdate | capDelete | capList, true
	case "sudo":
		return capCreate | capRead | capUpdate | capDelete | capList | capSudo, true
	}
	return 0, false
}

// opCapability is the capability an operation needs. Renew, revoke and
// rollback need update, as in Vault. ok is false for an unknown operation.
func opCapability(op string) (capSet, bool) {
	switch strings.ToLower(op) {
	case "create":
		return capCreate, true
	case "read":
		return capRead, true
	case "update", "renew", "revoke", "rollback":
		return capUpdate, true
	case "patch":
		return capPatch, true
	case "delete":
		return capDelete, true
	case "list":
		return capList, true
	}
	return 0, false
}
