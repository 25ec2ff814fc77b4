package kv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// Storage keys of a KV v2 mount, relative to its view.
const (
	v2Root        = "kv2/"
	v2ConfigKey   = v2Root + "config"
	v2UpgradedKey = v2Root + "upgraded"
	v2MetaPrefix  = v2Root + "meta/"
	v2DataPrefix  = v2Root + "data/"

	// defaultMaxVersions is kept when neither the mount nor the key sets
	// max_versions.
	defaultMaxVersions = 10

	// deleteVersionAfterDisabled in the mount config turns automatic
	// deletion off for every key (Vault stores -1s).
	deleteVersionAfterDisabled = -time.Second
)

// config is the engine configuration at "config".
type config struct {
	MaxVersions        uint32        `json:"max_versions"`
	CASRequired        bool          `json:"cas_required"`
	DeleteVersionAfter time.Duration `json:"delete_version_after"`
}

// keyMetadata is everything about one secret except its data.
type keyMetadata struct {
	Path               string                  `json:"path"`
	Versions           map[uint64]*versionMeta `json:"versions"`
	CurrentVersion     uint64                  `json:"current_version"`
	OldestVersion      uint64                  `json:"oldest_version"`
	CreatedTime        time.Time               `json:"created_time"`
	UpdatedTime        time.Time               `json:"updated_time"`
	MaxVersions        uint32                  `json:"max_versions"`
	CASRequired        bool                    `json:"cas_required"`
	DeleteVersionAfter time.Duration           `json:"delete_version_after"`
	CustomMetadata     map[string]string       `json:"custom_metadata,omitempty"`
}

// versionMeta describes one version. DeletionTime, when set, is the moment
// the version is (or will be) soft-deleted; Destroyed means its data is gone.
type versionMeta struct {
	CreatedTime  time.Time  `json:"created_time"`
	DeletionTime *time.Time `json:"deletion_time,omitempty"`
	Destroyed    bool       `json:"destroyed,omitempty"`
}

// deleted reports whether the version is soft-deleted at now.
func (v *versionMeta) deleted(now time.Time) bool {
	return v.DeletionTime != nil && !v.DeletionTime.After(now)
}

// live reports whether the version's data can be read at now.
func (v *versionMeta) live(now time.Time) bool {
	return !v.Destroyed && !v.deleted(now)
}

// metaKey is the storage key of a secret's metadata.
func metaKey(path string) string { return v2MetaPrefix + path }

// versionKey is the storage key of one version's data. The path is hashed
// so version keys have a fixed shape whatever the path.
func versionKey(path string, version uint64) string {
	sum := sha256.Sum256([]byte(path))
	return v2DataPrefix + hex.EncodeToString(sum[:]) + "/" + strconv.FormatUint(version, 10)
}

// loadMeta reads a secret's metadata, nil when there is none.
func loadMeta(ctx context.Context, s logical.Storage, path string) (*keyMetadata, error) {
	entry, err := s.Get(ctx, metaKey(path))
	if err != nil {
		return nil, fmt.Errorf("read key metadata: %w", err)
	}
	if entry == nil {
		return nil, nil
	}
	meta, err := decodeMeta(entry.Value)
	if err != nil {
		return nil, fmt.Errorf("decode key metadata: %w", err)
	}
	return meta, nil
}

// lockedMeta runs fn under the secret's lock, shared for a read and
// exclusive for a change, with the secret's metadata (nil when there is
// none).
func (b *V2) lockedMeta(ctx context.Context, s logical.Storage, path string, exclusive bool,
	fn func(meta *keyMetadata) (*logical.Response, error)) (*logical.Response, error) {
	lock := b.locks.forKey(path)
	if exclusive {
		lock.Lock()
		defer lock.Unlock()
	} else {
		lock.RLock()
		defer lock.RUnlock()
	}
	meta, err := loadMeta(ctx, s, path)
	if err != nil {
		return nil, err
	}
	return fn(meta)
}

// withMeta is lockedMeta for a secret that must exist: one without
// metadata answers nil (a 404 with no errors) and fn does not run.
func (b *V2) withMeta(ctx context.Context, s logical.Storage, path string, exclusive bool,
	fn func(meta *keyMetadata) (*logical.Response, error)) (*logical.Response, error) {
	return b.lockedMeta(ctx, s, path, exclusive, func(meta *keyMetadata) (*logical.Response, error) {
		if meta == nil {
			return nil, nil
		}
		return fn(meta)
	})
}

// putMetaOp encodes metadata as a storage op.
func putMetaOp(meta *keyMetadata) (logical.StorageOp, error) {
	if len(meta.CustomMetadata) == 0 {
		meta.CustomMetadata = nil
	}
	buf, err := encodeMeta(meta)
	if err != nil {
		return logical.StorageOp{}, fmt.Errorf("encode key metadata: %w", err)
	}
	return logical.StorageOp{Key: metaKey(meta.Path), Value: buf}, nil
}

// loadVersionData reads the data of one version.
func loadVersionData(ctx context.Context, s logical.Storage, path string, version uint64) (map[string]any, error) {
	entry, err := s.Get(ctx, versionKey(path, version))
	if err != nil {
		return nil, fmt.Errorf("read version data: %w", err)
	}
	if entry == nil {
		return nil, fmt.Errorf("could not find version data")
	}
	return decodeObject(entry.Value)
}

// effectiveMaxVersions is how many versions a key keeps: the larger of the
// key's and the mount's setting, or 10 when neither is set (as Vault does).
func effectiveMaxVersions(meta *keyMetadata, conf *config) uint64 {
	if n := max(meta.MaxVersions, conf.MaxVersions); n > 0 {
		return uint64(n)
	}
	return defaultMaxVersions
}

// deletionTimeFor is when a version created (or undeleted) at from is to be
// soft-deleted: from plus the smaller non-zero delete_version_after of the
// mount and the key; nil when neither is set or the mount disables it.
func deletionTimeFor(from time.Time, conf *config, meta *keyMetadata) *time.Time {
	if conf.DeleteVersionAfter == deleteVersionAfterDisabled {
		return nil
	}
	mount, key := max(conf.DeleteVersionAfter, 0), meta.DeleteVersionAfter
	var after time.Duration
	switch {
	case mount == 0 && key == 0:
		return nil
	case mount == 0:
		after = key
	case key == 0:
		after = mount
	default:
		after = min(mount, key)
	}
	t := from.Add(after)
	return &t
}

// addVersion appends a version created at now, prunes versions beyond the
// key's limit (oldest first) and returns the storage ops that delete the
// pruned versions' data.
func (meta *keyMetadata) addVersion(now time.Time, conf *config) (*versionMeta, []logical.StorageOp) {
	vm := &versionMeta{CreatedTime: now, DeletionTime: deletionTimeFor(now, conf, meta)}
	meta.CurrentVersion++
	meta.Versions[meta.CurrentVersion] = vm
	meta.UpdatedTime = now
	if meta.CreatedTime.IsZero() {
		meta.CreatedTime = now
	}
	limit := effectiveMaxVersions(meta, conf)
	if meta.CurrentVersion-meta.OldestVersion < limit {
		return vm, nil
	}
	cut := meta.CurrentVersion - limit
	var ops []logical.StorageOp
	for v, old := range meta.Versions {
		if v > cut {
			continue
		}
		delete(meta.Versions, v)
		if !old.Destroyed {
			ops = append(ops, logical.StorageOp{Delete: true, Key: versionKey(meta.Path, v)})
		}
	}
	meta.OldestVersion = cut + 1
	return vm, ops
}

// formatTime renders a timestamp as Vault does: RFC 3339 with nanoseconds
// in UTC, or "" for none.
func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// versionResponse is the metadata of one version as data writes return it
// and data reads nest it under "metadata".
func versionResponse(meta *keyMetadata, version uint64, vm *versionMeta) map[string]any {
	return map[string]any{
		"version":         version,
		"created_time":    formatTime(&vm.CreatedTime),
		"deletion_time":   formatTime(vm.DeletionTime),
		"destroyed":       vm.Destroyed,
		"custom_metadata": customMetadataOut(meta.CustomMetadata),
	}
}

// customMetadataOut is custom_metadata as the API shows it: null when empty.
func customMetadataOut(m map[string]string) any {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
