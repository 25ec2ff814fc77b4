package core

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

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
// the server config.
func (st *unsealed) loadAudit(ctx context.Context) error {
	entry, err := st.c.barrier.Get(ctx, auditKey)
	if err != nil {
		return fmt.Errorf("read audit table: %w", err)
	}
	var table []*auditEntry
	if entry != nil {
		if err := json.Unmarshal(entry.Value, &table); err != nil {
			return fmt.Errorf("decode audit table: %w", err)
		}
	}
	for _, dc := range st.c.conf.ConfigAuditDevices {
		dc.FromConfig = true
		table = append(table, &auditEntry{DeviceConfig: dc, Accessor: "audit_" + dc.Type})
	}
	for _, e := range table {
		if err := st.openDevice(ctx, e); err != nil {
			return fmt.Errorf("audit device %s: %w", e.Path, err)
		}
		st.auditTable = append(st.auditTable, e)
	}
	return nil
}

// openDevice builds a device with its salt (made on first use) and
// registers it with the broker.
func (st *unsealed) openDevice(ctx context.Context, e *auditEntry) error {
	factory, ok := st.c.conf.AuditDevices[e.Type]
	if !ok {
		return logical.InvalidRequest("unknown audit device type %q", e.Type)
	}
	salt, err := st.deviceSalt(ctx, e.Path)
	if err != nil {
		return err
	}
	dev, err := factory(ctx, &audit.FactoryConfig{Config: e.DeviceConfig, Salt: salt, Logger: st.c.logger.With("audit", e.Path)})
	if err != nil {
		return err
	}
	st.audit.Register(e.Path, dev, e.DeviceConfig)
	return nil
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

// enableAudit opens a new device; a device that cannot open leaves nothing
// behind.
func (st *unsealed) enableAudit(ctx context.Context, dc audit.DeviceConfig) error {
	st.tableLock.Lock()
	defer st.tableLock.Unlock()
	for _, e := range st.auditTable {
		if e.Path == dc.Path {
			return logical.InvalidRequest("path already in use")
		}
	}
	suffix, err := randomHex(4)
	if err != nil {
		return err
	}
	e := &auditEntry{DeviceConfig: dc, Accessor: "audit_" + dc.Type + "_" + suffix}
	if err := st.openDevice(ctx, e); err != nil {
		_ = st.c.barrier.Delete(ctx, auditSaltPrefix+dc.Path)
		return err
	}
	st.auditTable = append(st.auditTable, e)
	if err := st.saveAudit(ctx); err != nil {
		st.auditTable = st.auditTable[:len(st.auditTable)-1]
		st.audit.Deregister(dc.Path)
		return err
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
