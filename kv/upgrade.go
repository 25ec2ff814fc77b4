package kv

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vaultd/vaultd/logical"
)

// upgrade prepares a mount's storage for KV v2. A mount opened as v2 for
// the first time is marked as such; if it holds KV v1 secrets, each becomes
// version 1 of a v2 secret, all in the same commit as the marker, so a crash
// leaves either the v1 layout or the complete v2 one.
func (b *V2) upgrade(ctx context.Context, s logical.Storage) error {
	marker, err := s.Get(ctx, v2UpgradedKey)
	if err != nil {
		return fmt.Errorf("read upgrade marker: %w", err)
	}
	if marker != nil {
		return nil
	}
	keys, err := listAll(ctx, s, "")
	if err != nil {
		return fmt.Errorf("list KV v1 secrets: %w", err)
	}
	now := b.now()
	ops := make([]logical.StorageOp, 0, 3*len(keys)+1)
	for _, key := range keys {
		if strings.HasPrefix(key, v2Root) {
			// Without the marker nothing under v2Root was written by this
			// engine; refuse rather than mix two layouts.
			return fmt.Errorf("cannot upgrade to KV v2: KV v1 path %q is inside the reserved prefix %q", key, v2Root)
		}
		entry, err := s.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("read KV v1 secret: %w", err)
		}
		if entry == nil {
			continue
		}
		if _, err := decodeObject(entry.Value); err != nil {
			return fmt.Errorf("KV v1 secret %q is not a JSON object: %w", key, err)
		}
		meta := &keyMetadata{Path: key, Versions: map[uint64]*versionMeta{}}
		meta.addVersion(now, &config{})
		metaOp, err := putMetaOp(meta)
		if err != nil {
			return err
		}
		ops = append(ops,
			logical.StorageOp{Key: versionKey(key, 1), Value: entry.Value},
			metaOp,
			logical.StorageOp{Delete: true, Key: key},
		)
	}
	stamp, err := json.Marshal(map[string]any{"time": now, "upgraded_secrets": len(keys)})
	if err != nil {
		return fmt.Errorf("encode upgrade marker: %w", err)
	}
	ops = append(ops, logical.StorageOp{Key: v2UpgradedKey, Value: stamp})
	if err := commit(ctx, s, ops...); err != nil {
		return fmt.Errorf("upgrade to KV v2: %w", err)
	}
	if len(keys) > 0 {
		b.logger.InfoContext(ctx, "upgraded KV v1 secrets to KV v2", "secrets", len(keys))
	}
	return nil
}

// listAll returns every key under prefix, descending into folders.
func listAll(ctx context.Context, s logical.Storage, prefix string) ([]string, error) {
	names, err := s.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, name := range names {
		if strings.HasSuffix(name, "/") {
			sub, err := listAll(ctx, s, prefix+name)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		out = append(out, prefix+name)
	}
	return out, nil
}
