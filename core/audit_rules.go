package core

import (
	"net/http"
	"path/filepath"
	"strings"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/logical"
)

// Rules every audit device must pass before it is opened, whether enabled
// through sys/audit or declared in the server config. They close the hole
// Vault fixed for CVE-2025-6000: a privileged caller must not be able to
// turn an audit device into a way of writing a program or a config file
// of its choosing.

// errAuditPrefixing refuses the prefix option while the server config does
// not allow it; the words are Vault's.
var errAuditPrefixing = logical.InvalidRequest("audit log prefixing is not allowed")

// checkAuditDevice applies the rules to dc against the devices in table
// (which must not hold dc itself): the prefix option only when the server
// config sets allow_audit_log_prefixing, and no file shared with another
// device. The file device refuses executable modes itself.
func (c *Core) checkAuditDevice(dc audit.DeviceConfig, table []*auditEntry) error {
	if dc.Options["prefix"] != "" && !c.conf.AllowAuditLogPrefixing {
		return errAuditPrefixing
	}
	dest, ok := auditDestination(dc)
	if !ok {
		return nil
	}
	for _, e := range table {
		if other, ok := auditDestination(e.DeviceConfig); ok && other == dest {
			return logical.InvalidRequest("file_path %q is already used by the audit device at %q", dest, e.Path)
		}
	}
	return nil
}

// auditDestination returns the file a file device writes to, cleaned,
// made absolute and with symbolic links resolved, so that two spellings of
// one file compare equal; false
// for other device types and for stdout and discard.
func auditDestination(dc audit.DeviceConfig) (string, bool) {
	if dc.Type != "file" {
		return "", false
	}
	p, ok := dc.Options["file_path"]
	if !ok {
		p = dc.Options["path"]
	}
	p = strings.TrimSpace(p)
	if p == "" || strings.EqualFold(p, "stdout") || strings.EqualFold(p, "discard") {
		return "", false
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p), true
	}
	return resolveLinks(abs), true
}

// resolveLinks follows symbolic links in path (in the file itself, or in
// its directory when the file does not exist yet), so that a link cannot
// be used to point a second device at a file already in use.
func resolveLinks(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
		return filepath.Join(dir, filepath.Base(path))
	}
	return path
}

// checkConfigAuditDevice is checkAuditDevice for a device declared in the
// server config; a violation fails the unseal, naming the device.
func (c *Core) checkConfigAuditDevice(dc audit.DeviceConfig, table []*auditEntry) error {
	if err := c.checkAuditDevice(dc, table); err != nil {
		return configAuditError("audit device %q in the server configuration: %v", dc.Path, err)
	}
	return nil
}

// configAuditError is a server-config mistake found at unseal: a 500 (the
// client did nothing wrong) whose message the operator is shown, since it
// names only device paths and the rule broken.
func configAuditError(format string, args ...any) error {
	return logical.CodedErrorf(http.StatusInternalServerError, format, args...)
}
