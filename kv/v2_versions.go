package kv

import (
	"context"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// handleVersions serves delete/<path>, undelete/<path> and destroy/<path>,
// each taking a "versions" list.
func (b *V2) handleVersions(ctx context.Context, s logical.Storage, req *logical.Request, endpoint, path string) (*logical.Response, error) {
	if err := validateSecretPath(path); err != nil {
		return nil, err
	}
	// Vault words the missing-versions error differently on destroy/.
	emptyMsg := "No version number provided"
	if endpoint == endpointDestroy {
		emptyMsg = "no version number provided"
	}
	versions, err := getVersions(req, emptyMsg)
	if err != nil {
		return nil, err
	}
	var conf config
	if endpoint == endpointUndelete {
		if conf, err = b.config(ctx, s); err != nil {
			return nil, err
		}
	}
	return b.withMeta(ctx, s, path, true, func(meta *keyMetadata) (*logical.Response, error) {
		now := b.now()
		var ops []logical.StorageOp
		switch endpoint {
		case endpointDelete:
			softDelete(meta, versions, now)
		case endpointUndelete:
			undelete(meta, versions, now, &conf)
		case endpointDestroy:
			ops = destroy(meta, versions)
		}
		metaOp, err := putMetaOp(meta)
		if err != nil {
			return nil, err
		}
		return nil, commit(ctx, s, append([]logical.StorageOp{metaOp}, ops...)...)
	})
}

// softDelete marks the live versions among versions deleted at now.
func softDelete(meta *keyMetadata, versions []uint64, now time.Time) {
	for _, v := range versions {
		vm := meta.Versions[v]
		if vm == nil || !vm.live(now) {
			continue
		}
		vm.DeletionTime = &now
	}
}

// undelete restores the soft-deleted (not destroyed) versions among
// versions; delete_version_after, if set, starts again from now.
func undelete(meta *keyMetadata, versions []uint64, now time.Time, conf *config) {
	for _, v := range versions {
		vm := meta.Versions[v]
		if vm == nil || vm.Destroyed {
			continue
		}
		vm.DeletionTime = deletionTimeFor(now, conf, meta)
	}
}

// destroy marks versions destroyed and returns the ops that remove their
// data from storage.
func destroy(meta *keyMetadata, versions []uint64) []logical.StorageOp {
	var ops []logical.StorageOp
	for _, v := range versions {
		vm := meta.Versions[v]
		if vm == nil || vm.Destroyed {
			continue
		}
		vm.Destroyed = true
		ops = append(ops, logical.StorageOp{Delete: true, Key: versionKey(meta.Path, v)})
	}
	return ops
}
