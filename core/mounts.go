package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vaultd/vaultd/barrier"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
)

// The two mount tables and where they are kept inside the barrier.
const (
	tableMounts = "mounts"
	tableAuth   = "auth"

	mountsKey = "core/mounts"
	authKey   = "core/auth"
)

// Mount types core itself provides.
const (
	typeSystem    = "system"
	typeCubbyhole = "cubbyhole"
	typeToken     = "token"
)

// MountConfig is a mount's tunable configuration.
type MountConfig struct {
	DefaultLeaseTTL          time.Duration `json:"default_lease_ttl"`
	MaxLeaseTTL              time.Duration `json:"max_lease_ttl"`
	ListingVisibility        string        `json:"listing_visibility,omitempty"`
	AuditNonHMACRequestKeys  []string      `json:"audit_non_hmac_request_keys,omitempty"`
	AuditNonHMACResponseKeys []string      `json:"audit_non_hmac_response_keys,omitempty"`
}

// MountEntry is one row of a mount table.
type MountEntry struct {
	Table       string            `json:"table"`
	Path        string            `json:"path"`
	Type        string            `json:"type"`
	Description string            `json:"description"`
	UUID        string            `json:"uuid"`
	Accessor    string            `json:"accessor"`
	Config      MountConfig       `json:"config"`
	Options     map[string]string `json:"options"`
	Local       bool              `json:"local"`
	SealWrap    bool              `json:"seal_wrap"`
}

// routePath is the path requests use: "secret/" or "auth/kubernetes/".
func (m *MountEntry) routePath() string {
	if m.Table == tableAuth {
		return "auth/" + m.Path
	}
	return m.Path
}

// viewPrefix is where the mount's storage view lives inside the barrier.
func (m *MountEntry) viewPrefix() string {
	switch {
	case m.Type == typeToken:
		return "sys/token/"
	case m.Table == tableAuth:
		return "auth/" + m.UUID + "/"
	default:
		return "logical/" + m.UUID + "/"
	}
}

// builtin reports whether the mount is one core provides and that cannot be
// removed or moved.
func (m *MountEntry) builtin() bool {
	switch m.Type {
	case typeSystem, typeCubbyhole, typeToken, typeIdentity:
		return true
	}
	return false
}

// kvVersion returns the KV version of a kv mount, "" for other types.
func (m *MountEntry) kvVersion() string {
	switch m.Type {
	case "kv-v2":
		return "2"
	case "kv":
		if v := m.Options["version"]; v != "" {
			return v
		}
		return "1"
	}
	return ""
}

func newMountEntry(table, path, typ, description string) (*MountEntry, error) {
	accessorType := typ
	if typ == "kv-v2" {
		accessorType = "kv"
	}
	suffix, err := randomHex(4)
	if err != nil {
		return nil, err
	}
	prefix := ""
	if table == tableAuth {
		prefix = "auth_"
	}
	return &MountEntry{
		Table:       table,
		Path:        path,
		Type:        typ,
		Description: description,
		UUID:        newUUID(),
		Accessor:    prefix + accessorType + "_" + suffix,
		Options:     map[string]string{},
	}, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// defaultMounts are created the first time a new barrier is unsealed.
func defaultMounts() ([]*MountEntry, []*MountEntry, error) {
	sys, err := newMountEntry(tableMounts, "sys/", typeSystem, "system endpoints used for control, policy and debugging")
	if err != nil {
		return nil, nil, err
	}
	cubby, err := newMountEntry(tableMounts, "cubbyhole/", typeCubbyhole, "per-token private secret storage")
	if err != nil {
		return nil, nil, err
	}
	cubby.Local = true
	tok, err := newMountEntry(tableAuth, "token/", typeToken, "token based credentials")
	if err != nil {
		return nil, nil, err
	}
	return []*MountEntry{sys, cubby}, []*MountEntry{tok}, nil
}

// mountTable is the serialised form of one table.
type mountTable struct {
	Entries []*MountEntry `json:"entries"`
}

func loadTable(ctx context.Context, b *barrier.Barrier, key string) ([]*MountEntry, bool, error) {
	entry, err := b.Get(ctx, key)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", key, err)
	}
	if entry == nil {
		return nil, false, nil
	}
	var t mountTable
	if err := json.Unmarshal(entry.Value, &t); err != nil {
		return nil, false, fmt.Errorf("decode %s: %w", key, err)
	}
	return t.Entries, true, nil
}

func saveTable(ctx context.Context, b *barrier.Barrier, key string, entries []*MountEntry) error {
	raw, err := json.Marshal(mountTable{Entries: entries})
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	if err := b.Put(ctx, &storage.Entry{Key: key, Value: raw}); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// normaliseMountPath cleans a user-given mount path: no leading slash, one
// trailing slash, no empty or dot segments.
func normaliseMountPath(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", logical.InvalidRequest("mount path cannot be empty")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", logical.InvalidRequest("invalid mount path %q", p+"/")
		}
	}
	return p + "/", nil
}

// mountSystemView answers an engine's questions about its mount.
type mountSystemView struct {
	c     *Core
	entry *MountEntry
}

func (v mountSystemView) DefaultLeaseTTL() time.Duration {
	if v.entry.Config.DefaultLeaseTTL > 0 {
		return v.entry.Config.DefaultLeaseTTL
	}
	return v.c.conf.DefaultLeaseTTL
}

func (v mountSystemView) MaxLeaseTTL() time.Duration {
	if v.entry.Config.MaxLeaseTTL > 0 {
		return v.entry.Config.MaxLeaseTTL
	}
	return v.c.conf.MaxLeaseTTL
}

func (v mountSystemView) Now() time.Time { return v.c.now() }

// deletePrefix removes every key under prefix, recursively.
func deletePrefix(ctx context.Context, s logical.Storage, prefix string) error {
	keys, err := s.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	for _, k := range keys {
		if strings.HasSuffix(k, "/") {
			if err := deletePrefix(ctx, s, prefix+k); err != nil {
				return err
			}
			continue
		}
		if err := s.Delete(ctx, prefix+k); err != nil {
			return fmt.Errorf("delete %s: %w", prefix+k, err)
		}
	}
	return nil
}
