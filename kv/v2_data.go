package kv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/vaultd/vaultd/logical"
)

// dataWriteSchema is the body of a data write or patch.
func dataWriteSchema() map[string]*logical.FieldSchema {
	return map[string]*logical.FieldSchema{
		"data":    {Type: logical.TypeMap},
		"options": {Type: logical.TypeMap},
	}
}

// readSchema is the query of data and subkeys reads.
func readSchema() map[string]*logical.FieldSchema {
	return map[string]*logical.FieldSchema{
		"version": {Type: logical.TypeInt},
		"depth":   {Type: logical.TypeInt},
	}
}

// handleData serves data/<path>.
func (b *V2) handleData(ctx context.Context, s logical.Storage, req *logical.Request, path string) (*logical.Response, error) {
	if req.Operation == logical.ListOperation {
		return invalidPath(req), nil
	}
	if err := validateSecretPath(path); err != nil {
		return nil, err
	}
	switch req.Operation {
	case logical.ReadOperation:
		return b.dataRead(ctx, s, req, path)
	case logical.CreateOperation, logical.UpdateOperation:
		return b.dataWrite(ctx, s, req, path)
	case logical.PatchOperation:
		return b.dataPatch(ctx, s, req, path)
	case logical.DeleteOperation:
		return b.dataDelete(ctx, s, path)
	}
	return nil, logical.ErrUnsupportedOperation
}

// parseReadQuery decodes the query of a data or subkeys read and returns
// it with the version the read asks for, 0 for the current.
func parseReadQuery(req *logical.Request) (*logical.FieldData, uint64, error) {
	fd, err := logical.RequestFields(req, readSchema())
	if err != nil {
		return nil, 0, err
	}
	v, _, err := getInt(fd, "version")
	if err != nil {
		return nil, 0, err
	}
	if v < 0 {
		// Vault reads the current version for any version below 1.
		v = 0
	}
	return fd, uint64(v), nil
}

func (b *V2) dataRead(ctx context.Context, s logical.Storage, req *logical.Request, path string) (*logical.Response, error) {
	_, version, err := parseReadQuery(req)
	if err != nil {
		return nil, err
	}
	return b.readVersion(ctx, s, path, version, "data", func(v uint64) (map[string]any, error) {
		return loadVersionData(ctx, s, path, v)
	})
}

// readVersion answers a read of one version of path (0 for the current)
// the way Vault does: nil when the secret or the version does not exist; a
// 404 with the version's metadata and a null field when the version is
// deleted or destroyed; else the metadata and, under field, what load
// returns for the version.
func (b *V2) readVersion(ctx context.Context, s logical.Storage, path string, version uint64, field string,
	load func(version uint64) (map[string]any, error)) (*logical.Response, error) {
	return b.withMeta(ctx, s, path, false, func(meta *keyMetadata) (*logical.Response, error) {
		if version == 0 {
			version = meta.CurrentVersion
		}
		vm := meta.Versions[version]
		if vm == nil {
			return nil, nil
		}
		resp := &logical.Response{Data: map[string]any{
			field:      nil,
			"metadata": versionResponse(meta, version, vm),
		}}
		if !vm.live(b.now()) {
			resp.StatusCode = http.StatusNotFound
			return resp, nil
		}
		data, err := load(version)
		if err != nil {
			return nil, err
		}
		resp.Data[field] = data
		return resp, nil
	})
}

// writeInput is a validated body of a data write or patch.
type writeInput struct {
	data   map[string]any
	cas    uint64
	hasCAS bool
}

// parseWriteInput validates a data write or patch body before anything is
// locked or read: "data" must be an object, "options" an object, and
// "options.cas" a non-negative integer.
func parseWriteInput(req *logical.Request) (*writeInput, error) {
	if raw, ok := req.Data["data"]; !ok || raw == nil {
		return nil, logical.InvalidRequest("no data provided")
	}
	fd, err := logical.RequestFields(req, dataWriteSchema())
	if err != nil {
		return nil, err
	}
	in := &writeInput{data: fd.Get("data").(map[string]any)}
	opts, ok, err := fd.GetOk("options")
	if err != nil {
		return nil, err
	}
	if !ok {
		return in, nil
	}
	casRaw, ok := opts.(map[string]any)["cas"]
	if !ok || casRaw == nil {
		return in, nil
	}
	cas, err := logical.ParseInt(casRaw)
	if err != nil || cas < 0 {
		return nil, logical.InvalidRequest("error parsing check-and-set parameter")
	}
	in.cas, in.hasCAS = uint64(cas), true
	return in, nil
}

// checkCAS enforces check-and-set: when given, cas must equal the current
// version (0 for a secret with none); when the mount or key requires it, it
// must be given.
func checkCAS(in *writeInput, conf *config, meta *keyMetadata) error {
	if in.hasCAS {
		if in.cas != meta.CurrentVersion {
			return logical.InvalidRequest("check-and-set parameter did not match the current version")
		}
		return nil
	}
	if conf.CASRequired || meta.CASRequired {
		return logical.InvalidRequest("check-and-set parameter required for this call")
	}
	return nil
}

func (b *V2) dataWrite(ctx context.Context, s logical.Storage, req *logical.Request, path string) (*logical.Response, error) {
	in, err := parseWriteInput(req)
	if err != nil {
		return nil, err
	}
	buf, err := json.Marshal(in.data)
	if err != nil {
		return nil, logical.InvalidRequest("data cannot be encoded as JSON")
	}
	conf, err := b.config(ctx, s)
	if err != nil {
		return nil, err
	}
	return b.lockedMeta(ctx, s, path, true, func(meta *keyMetadata) (*logical.Response, error) {
		if meta == nil {
			meta = &keyMetadata{Path: path, Versions: map[uint64]*versionMeta{}}
		}
		if err := checkCAS(in, &conf, meta); err != nil {
			return nil, err
		}
		return b.commitVersion(ctx, s, meta, &conf, buf)
	})
}

// commitVersion adds a version holding buf to meta and commits the version
// data, the metadata and the pruning of old versions in one transaction.
// The caller holds the key's lock.
func (b *V2) commitVersion(ctx context.Context, s logical.Storage, meta *keyMetadata, conf *config, buf []byte) (*logical.Response, error) {
	vm, pruned := meta.addVersion(b.now(), conf)
	metaOp, err := putMetaOp(meta)
	if err != nil {
		return nil, err
	}
	ops := make([]logical.StorageOp, 0, 2+len(pruned))
	ops = append(ops, logical.StorageOp{Key: versionKey(meta.Path, meta.CurrentVersion), Value: buf}, metaOp)
	ops = append(ops, pruned...)
	if err := commit(ctx, s, ops...); err != nil {
		return nil, err
	}
	return &logical.Response{Data: versionResponse(meta, meta.CurrentVersion, vm)}, nil
}

// dataPatch applies a JSON merge patch to the current version and stores
// the result as a new version.
func (b *V2) dataPatch(ctx context.Context, s logical.Storage, req *logical.Request, path string) (*logical.Response, error) {
	if err := checkMergePatch(req); err != nil {
		return nil, err
	}
	in, err := parseWriteInput(req)
	if err != nil {
		return nil, err
	}
	conf, err := b.config(ctx, s)
	if err != nil {
		return nil, err
	}
	return b.lockedMeta(ctx, s, path, true, func(meta *keyMetadata) (*logical.Response, error) {
		if meta == nil {
			return notFound(), nil
		}
		return b.patchCurrent(ctx, s, path, meta, in, &conf)
	})
}

// patchCurrent merges the patch in into the current version of the secret
// at path, whose metadata is meta, and commits the result as a new
// version. The caller holds the key's lock.
func (b *V2) patchCurrent(ctx context.Context, s logical.Storage, path string, meta *keyMetadata, in *writeInput, conf *config) (*logical.Response, error) {
	if err := checkCAS(in, conf, meta); err != nil {
		return nil, err
	}
	vm := meta.Versions[meta.CurrentVersion]
	if vm == nil {
		return notFound(), nil
	}
	if !vm.live(b.now()) {
		resp := &logical.Response{Data: versionResponse(meta, meta.CurrentVersion, vm), StatusCode: http.StatusNotFound}
		return resp, nil
	}
	current, err := loadVersionData(ctx, s, path, meta.CurrentVersion)
	if err != nil {
		return nil, err
	}
	buf, err := json.Marshal(mergePatch(current, in.data))
	if err != nil {
		return nil, logical.InvalidRequest("patched data cannot be encoded as JSON")
	}
	return b.commitVersion(ctx, s, meta, conf, buf)
}

// dataDelete soft-deletes the current version.
func (b *V2) dataDelete(ctx context.Context, s logical.Storage, path string) (*logical.Response, error) {
	return b.withMeta(ctx, s, path, true, func(meta *keyMetadata) (*logical.Response, error) {
		now := b.now()
		vm := meta.Versions[meta.CurrentVersion]
		if vm == nil || !vm.live(now) {
			return nil, nil
		}
		vm.DeletionTime = &now
		op, err := putMetaOp(meta)
		if err != nil {
			return nil, err
		}
		return nil, commit(ctx, s, op)
	})
}

// subkeysRead serves subkeys/<path>: the key structure of a version with
// every value replaced by null.
func (b *V2) subkeysRead(ctx context.Context, s logical.Storage, req *logical.Request, path string) (*logical.Response, error) {
	if err := validateSecretPath(path); err != nil {
		return nil, err
	}
	fd, version, err := parseReadQuery(req)
	if err != nil {
		return nil, err
	}
	depth, _, err := getInt(fd, "depth")
	if err != nil {
		return nil, err
	}
	if depth < 0 {
		return nil, logical.InvalidRequest("depth must be 0 (no limit) or more")
	}
	return b.readVersion(ctx, s, path, version, "subkeys", func(v uint64) (map[string]any, error) {
		data, err := loadVersionData(ctx, s, path, v)
		if err != nil {
			return nil, fmt.Errorf("subkeys: %w", err)
		}
		nullLeaves(data, int(depth))
		return data, nil
	})
}
