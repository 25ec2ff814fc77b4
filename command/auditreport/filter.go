package auditreport

import (
	"bytes"
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strings"
	"time"
)

// Filter keeps the records that match every field set.
type Filter struct {
	// Path is a prefix, or a glob (path.Match: * stays within a segment)
	// when it has *, ? or [.
	Path         string
	Since, Until time.Time
	// Operations are Vault's: read, list, create, update, delete, …
	Operations []string
	// Entity, DisplayName: the caller's entity id and display name
	// (a glob when they have *, ? or [).
	Entity, DisplayName string
	// Namespace and ServiceAccount: from the Kubernetes login.
	Namespace, ServiceAccount string
	// RemoteAddress is an address or a CIDR prefix.
	RemoteAddress string
	// Denied keeps only refusals.
	Denied bool
	// HMACs keep only the entries that hold one of these values
	// (from sys/audit-hash) anywhere in their request or response line.
	HMACs []string

	remote netip.Prefix
}

// Check validates the filter and prepares it.
func (f *Filter) Check() error {
	if f.Path != "" && isGlob(f.Path) {
		if _, err := path.Match(f.Path, ""); err != nil {
			return fmt.Errorf("-path %q: %w", f.Path, err)
		}
	}
	if f.RemoteAddress != "" {
		if p, err := netip.ParsePrefix(f.RemoteAddress); err == nil {
			f.remote = p.Masked()
		} else if a, err := netip.ParseAddr(f.RemoteAddress); err == nil {
			f.remote = netip.PrefixFrom(a, a.BitLen())
		} else {
			return fmt.Errorf("-remote-address %q: not an address or a CIDR prefix", f.RemoteAddress)
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return fmt.Errorf("-until %s is before -since %s", f.Until.Format(time.RFC3339), f.Since.Format(time.RFC3339))
	}
	return nil
}

func isGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

func match(pattern, s string) bool {
	if isGlob(pattern) {
		ok, _ := path.Match(pattern, s)
		return ok
	}
	return pattern == s
}

// matchesLine: the raw line holds one of the HMACs.
func (f *Filter) matchesLine(line []byte) bool {
	if f == nil {
		return false
	}
	for _, h := range f.HMACs {
		if bytes.Contains(line, []byte(h)) {
			return true
		}
	}
	return false
}

// Match reports whether a record passes; hmacMatched is whether one of its
// lines held one of the HMACs.
func (f *Filter) Match(r *Record, hmacMatched bool) bool {
	if f == nil {
		return true
	}
	switch {
	case len(f.HMACs) > 0 && !hmacMatched:
		return false
	case f.Path != "" && isGlob(f.Path) && !match(f.Path, r.Path):
		return false
	case f.Path != "" && !isGlob(f.Path) && !strings.HasPrefix(r.Path, strings.TrimPrefix(f.Path, "/")):
		return false
	case !f.Since.IsZero() && r.Time.Before(f.Since):
		return false
	case !f.Until.IsZero() && !r.Time.Before(f.Until):
		return false
	case len(f.Operations) > 0 && !slices.Contains(f.Operations, r.Operation):
		return false
	case f.Entity != "" && !match(f.Entity, r.EntityID):
		return false
	case f.DisplayName != "" && !match(f.DisplayName, r.DisplayName):
		return false
	case f.Namespace != "" && !match(f.Namespace, r.Namespace):
		return false
	case f.ServiceAccount != "" && !match(f.ServiceAccount, r.ServiceAccount):
		return false
	case f.Denied && !r.Denied():
		return false
	}
	if f.remote.IsValid() {
		a, err := netip.ParseAddr(r.RemoteAddress)
		if err != nil || !f.remote.Contains(a.Unmap()) {
			return false
		}
	}
	return true
}
