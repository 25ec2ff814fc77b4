package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/barrier"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
)

// auditKey is where the table of API-enabled audit devices lives inside
// the barrier.
const auditKey = "core/audit"

// auditSaltPrefix holds each device's HMAC key, config devices included.
const auditSaltPrefix = "core/audit-salt/"

// auditEntry is one enabled device.
type auditEntry struct {
	audit.DeviceConfig
	Accessor string `json:"accessor"`
}

// loadAudit opens the devices of the stored table and those declared in
// the server config. As in Vault, a device that cannot be opened is logged
// and left out of the broker (it stays in the table, so it is listed and
// can be disabled); the unseal fails only when devices exist and none
// opened, so that requests are never served unaudited.
func (st *unsealed) loadAudit(ctx context.Context) error {
	table, err := st.readAuditTable(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range table {
		st.auditTable = append(st.auditTable, e)
		dev, err := st.newDevice(ctx, e)
		if err != nil {
			st.c.logger.Error("audit device failed to open; it is left out", "path", e.Path, "type", e.Type, "error", err)
			errs = append(errs, fmt.Errorf("audit device %s: %w", e.Path, err))
			continue
		}
		st.audit.Register(e.Path, dev, e.DeviceConfig)
	}
	if len(table) > 0 && st.audit.Count() == 0 {
		return fmt.Errorf("no audit device could be opened: %w", errors.Join(errs...))
	}
	return nil
}

// readAuditTable returns the stored table followed by the devices declared
// in the server config. A declared device may not overlap another device
// (OpenBao's rule for API-enabled ones): that fails the unseal, saying so.
func (st *unsealed) readAuditTable(ctx context.Context) ([]*auditEntry, error) {
	entry, err := st.c.barrier.Get(ctx, auditKey)
	if err != nil {
		return nil, fmt.Errorf("read audit table: %w", err)
	}
	var table []*auditEntry
	if entry != nil {
		if err := json.Unmarshal(entry.Value, &table); err != nil {
			return nil, fmt.Errorf("decode audit table: %w", err)
		}
	}
	for _, dc := range st.c.conf.ConfigAuditDevices {
		dc.FromConfig = true
		dc.Path = auditPath(dc.Path)
		for _, e := range table {
			if !pathsOverlap(e.Path, dc.Path) {
				continue
			}
			if e.FromConfig {
				return nil, configAuditError("audit devices %q and %q in the server configuration overlap", e.Path, dc.Path)
			}
			return nil, configAuditError("audit device %q in the server configuration overlaps %q, enabled through the API; disable that device first", dc.Path, e.Path)
		}
		if err := st.c.checkConfigAuditDevice(dc, table); err != nil {
			return nil, err
		}
		table = append(table, &auditEntry{DeviceConfig: dc, Accessor: "audit_" + dc.Type})
	}
	return table, nil
}

// pathsOverlap reports whether one device path is a prefix of the other,
// which Vault refuses ("path already in use").
func pathsOverlap(a, b string) bool {
	return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
}

// newDevice builds a device with its salt (made on first use).
func (st *unsealed) newDevice(ctx context.Context, e *auditEntry) (audit.Device, error) {
	factory, ok := st.c.conf.AuditDevices[e.Type]
	if !ok {
		return nil, logical.InvalidRequest("unknown audit device type %q", e.Type)
	}
	salt, err := st.deviceSalt(ctx, e.Path)
	if err != nil {
		return nil, err
	}
	return factory(ctx, &audit.FactoryConfig{Config: e.DeviceConfig, Salt: salt, Logger: st.c.logger.With("audit", e.Path), Now: st.c.now})
}

func (st *unsealed) deviceSalt(ctx context.Context, path string) ([]byte, error) {
	key := auditSaltPrefix + path
	entry, err := st.c.barrier.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read audit salt: %w", err)
	}
	if entry != nil {
		return entry.Value, nil
	}
	salt, err := barrier.GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := st.c.barrier.Put(ctx, &storage.Entry{Key: key, Value: salt}); err != nil {
		return nil, fmt.Errorf("write audit salt: %w", err)
	}
	return salt, nil
}

// saveAudit writes the API-enabled devices; config devices are not stored.
func (st *unsealed) saveAudit(ctx context.Context) error {
	var stored []*auditEntry
	for _, e := range st.auditTable {
		if !e.FromConfig {
			stored = append(stored, e)
		}
	}
	raw, err := json.Marshal(stored)
	if err != nil {
		return fmt.Errorf("encode audit table: %w", err)
	}
	if err := st.c.barrier.Put(ctx, &storage.Entry{Key: auditKey, Value: raw}); err != nil {
		return fmt.Errorf("write audit table: %w", err)
	}
	return nil
}

// enableAudit opens a new device and writes a test entry to it, as Vault
// does, so that a destination that opens but cannot be written (a full
// disk) is refused now rather than failing every request later. A device
// that fails leaves nothing behind: no table entry, no salt.
func (st *unsealed) enableAudit(ctx context.Context, dc audit.DeviceConfig) error {
	st.tableLock.Lock()
	defer st.tableLock.Unlock()
	for _, e := range st.auditTable {
		if pathsOverlap(e.Path, dc.Path) {
			return logical.InvalidRequest("path already in use")
		}
	}
	if err := st.c.checkAuditDevice(dc, st.auditTable); err != nil {
		return err
	}
	suffix, err := randomHex(4)
	if err != nil {
		return err
	}
	e := &auditEntry{DeviceConfig: dc, Accessor: "audit_" + dc.Type + "_" + suffix}
	dev, err := st.newDevice(ctx, e)
	if err == nil {
		err = st.testDevice(ctx, dev)
		if err != nil {
			_ = dev.Close()
		}
	}
	if err != nil {
		if derr := st.c.barrier.Delete(ctx, auditSaltPrefix+dc.Path); derr != nil {
			st.c.logger.Error("removing the salt of a device that failed to enable", "path", dc.Path, "error", derr)
		}
		return err
	}
	st.auditTable = append(st.auditTable, e)
	if err := st.saveAudit(ctx); err != nil {
		st.auditTable = st.auditTable[:len(st.auditTable)-1]
		_ = dev.Close()
		_ = st.c.barrier.Delete(ctx, auditSaltPrefix+dc.Path)
		return err
	}
	st.audit.Register(dc.Path, dev, dc)
	return nil
}

// testDevice writes Vault's test entry, an update of sys/audit/test, to a
// device that is not registered yet. A failure is a 400 saying so.
func (st *unsealed) testDevice(ctx context.Context, dev audit.Device) error {
	probe := &audit.LogInput{
		Time:    st.c.now(),
		Request: &logical.Request{ID: newUUID(), Operation: logical.UpdateOperation, Path: "sys/audit/test"},
	}
	if err := dev.LogRequest(ctx, probe); err != nil {
		return fmt.Errorf("%w: %w", logical.InvalidRequest("audit backend failed test message"), err)
	}
	return nil
}

// disableAudit closes a device and forgets its salt.
func (st *unsealed) disableAudit(ctx context.Context, path string) error {
	st.tableLock.Lock()
	defer st.tableLock.Unlock()
	idx := -1
	for i, e := range st.auditTable {
		if e.Path == path {
			idx = i
		}
	}
	if idx < 0 {
		return nil
	}
	if st.auditTable[idx].FromConfig {
		return logical.InvalidRequest("audit device %q is declared in the server configuration and cannot be disabled through the API", path)
	}
	prev := st.auditTable
	st.auditTable = append(append([]*auditEntry{}, prev[:idx]...), prev[idx+1:]...)
	if err := st.saveAudit(ctx); err != nil {
		st.auditTable = prev
		return err
	}
	st.audit.Deregister(path)
	if err := st.c.barrier.Delete(ctx, auditSaltPrefix+path); err != nil {
		return fmt.Errorf("delete audit salt: %w", err)
	}
	return nil
}

// auditListing renders the table as GET sys/audit answers it.
func (st *unsealed) auditListing() map[string]any {
	st.tableLock.Lock()
	defer st.tableLock.Unlock()
	out := map[string]any{}
	entries := append([]*auditEntry{}, st.auditTable...)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	for _, e := range entries {
		opts := map[string]any{}
		for k, v := range e.Options {
			opts[k] = v
		}
		out[e.Path] = map[string]any{
			"type": e.Type, "description": e.Description, "options": opts,
			"local": e.Local, "path": e.Path,
		}
	}
	return out
}

// ReopenAudit reopens every audit device's file (SIGHUP, for logrotate).
func (c *Core) ReopenAudit(ctx context.Context) error {
	c.stateLock.RLock()
	defer c.stateLock.RUnlock()
	if c.state == nil {
		return nil
	}
	return c.state.audit.Reopen()
}
