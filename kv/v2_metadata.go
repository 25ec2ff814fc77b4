package kv

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/vaultd/vaultd/logical"
)

// metadataSchema is the body of a metadata write or patch (custom_metadata
// is read separately).
func metadataSchema() map[string]*logical.FieldSchema {
	return map[string]*logical.FieldSchema{
		"max_versions":         {Type: logical.TypeInt},
		"cas_required":         {Type: logical.TypeBool},
		"delete_version_after": {Type: logical.TypeDuration},
	}
}

// Limits on custom_metadata, as Vault enforces them.
const (
	maxCustomMetadataKeys        = 64
	maxCustomMetadataKeyLength   = 128
	maxCustomMetadataValueLength = 512
	customMetadataErrPrefix      = "custom_metadata validation failed"
	casIgnoredWarning            = `"cas_required" set to false, but is mandated by backend config. This value will be ignored.`
)

// handleMetadata serves metadata/<path>.
func (b *V2) handleMetadata(ctx context.Context, s logical.Storage, req *logical.Request, path string) (*logical.Response, error) {
	if req.Operation == logical.ListOperation {
		return listKeys(ctx, s, v2MetaPrefix, path)
	}
	if err := validateSecretPath(path); err != nil {
		return nil, err
	}
	switch req.Operation {
	case logical.ReadOperation:
		return b.metadataRead(ctx, s, path)
	case logical.CreateOperation, logical.UpdateOperation:
		return b.metadataWrite(ctx, s, req, path)
	case logical.PatchOperation:
		return b.metadataPatch(ctx, s, req, path)
	case logical.DeleteOperation:
		return b.metadataDelete(ctx, s, path)
	}
	return nil, logical.ErrUnsupportedOperation
}

func (b *V2) metadataRead(ctx context.Context, s logical.Storage, path string) (*logical.Response, error) {
	return b.withMeta(ctx, s, path, false, func(meta *keyMetadata) (*logical.Response, error) {
		return metadataResponse(meta), nil
	})
}

// metadataResponse is a secret's metadata as a read reports it.
func metadataResponse(meta *keyMetadata) *logical.Response {
	versions := make(map[string]any, len(meta.Versions))
	for v, vm := range meta.Versions {
		versions[strconv.FormatUint(v, 10)] = map[string]any{
			"created_time":  formatTime(&vm.CreatedTime),
			"deletion_time": formatTime(vm.DeletionTime),
			"destroyed":     vm.Destroyed,
		}
	}
	return &logical.Response{Data: map[string]any{
		"versions":             versions,
		"current_version":      meta.CurrentVersion,
		"oldest_version":       meta.OldestVersion,
		"created_time":         formatTime(&meta.CreatedTime),
		"updated_time":         formatTime(&meta.UpdatedTime),
		"max_versions":         meta.MaxVersions,
		"cas_required":         meta.CASRequired,
		"delete_version_after": meta.DeleteVersionAfter.String(),
		"custom_metadata":      customMetadataOut(meta.CustomMetadata),
	}}
}

// metadataUpdate is a validated metadata write or patch. A nil pointer
// leaves the setting as it is.
type metadataUpdate struct {
	maxVersions        *uint32
	casRequired        *bool
	deleteVersionAfter *time.Duration
	// customMetadata replaces the whole map on a write. On a patch it is
	// merged: a member whose value is nil removes that key.
	customMetadata    map[string]*string
	hasCustomMetadata bool
}

func (u *metadataUpdate) empty() bool {
	return u.maxVersions == nil && u.casRequired == nil && u.deleteVersionAfter == nil && !u.hasCustomMetadata
}

// parseMetadataUpdate validates the body of a metadata write or patch. On
// a patch (RFC 7386) an explicit null resets a setting to its zero value.
func parseMetadataUpdate(req *logical.Request, patch bool) (*metadataUpdate, error) {
	fd, err := logical.RequestFields(req, metadataSchema())
	if err != nil {
		return nil, err
	}
	u := &metadataUpdate{}
	if n, ok, err := getMaxVersions(fd); err != nil {
		return nil, err
	} else if ok {
		u.maxVersions = &n
	}
	if v, ok, err := getBool(fd, "cas_required"); err != nil {
		return nil, err
	} else if ok {
		u.casRequired = &v
	}
	if v, ok, err := fd.GetOk("delete_version_after"); err != nil {
		return nil, err
	} else if ok {
		d := v.(time.Duration).Truncate(time.Second)
		u.deleteVersionAfter = &d
	}
	if patch {
		resetNulls(req, u)
	}
	if raw, ok := req.Data["custom_metadata"]; ok {
		u.hasCustomMetadata = true
		if u.customMetadata, err = parseCustomMetadata(raw, patch); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// resetNulls turns the settings a merge patch sets to null into zero values.
func resetNulls(req *logical.Request, u *metadataUpdate) {
	isNull := func(name string) bool {
		v, ok := req.Data[name]
		return ok && v == nil
	}
	if isNull("max_versions") {
		u.maxVersions = new(uint32)
	}
	if isNull("cas_required") {
		u.casRequired = new(bool)
	}
	if isNull("delete_version_after") {
		u.deleteVersionAfter = new(time.Duration)
	}
}

// parseCustomMetadata reads custom_metadata: null (none), or an object
// whose values are strings (numbers and booleans are taken as their text).
// On a patch a null value marks a key for removal.
func parseCustomMetadata(raw any, patch bool) (map[string]*string, error) {
	if raw == nil {
		return nil, nil
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, logical.InvalidRequest("%s: expected a JSON object, got %T", customMetadataErrPrefix, raw)
	}
	out := make(map[string]*string, len(obj))
	check := map[string]string{}
	for k, v := range obj {
		if v == nil && patch {
			out[k] = nil
			continue
		}
		s, err := logical.ParseString(v)
		if err != nil {
			return nil, logical.InvalidRequest("%s: value of key %q: %v", customMetadataErrPrefix, k, err)
		}
		out[k], check[k] = &s, s
	}
	if err := validateCustomMetadata(check); err != nil {
		return nil, err
	}
	return out, nil
}

// validateCustomMetadata applies Vault's limits: at most 64 keys, keys of
// 1..128 bytes, values of 1..512 bytes, all printable.
func validateCustomMetadata(m map[string]string) error {
	if len(m) > maxCustomMetadataKeys {
		return logical.InvalidRequest("%s: payload must contain at most %d keys, provided %d",
			customMetadataErrPrefix, maxCustomMetadataKeys, len(m))
	}
	var errs []string
	for k, v := range m {
		if n := len(k); n == 0 || n > maxCustomMetadataKeyLength {
			errs = append(errs, fmt.Sprintf("%s: length of key %q is %d but must be 0 < len(key) <= %d",
				customMetadataErrPrefix, k, n, maxCustomMetadataKeyLength))
		}
		if n := len(v); n == 0 || n > maxCustomMetadataValueLength {
			errs = append(errs, fmt.Sprintf("%s: length of value for key %q is %d but must be 0 < len(value) <= %d",
				customMetadataErrPrefix, k, n, maxCustomMetadataValueLength))
		}
		if !printable(k) {
			errs = append(errs, fmt.Sprintf("%s: key %q contains unprintable characters", customMetadataErrPrefix, k))
		}
		if !printable(v) {
			errs = append(errs, fmt.Sprintf("%s: value for key %q contains unprintable characters", customMetadataErrPrefix, k))
		}
	}
	if len(errs) > 0 {
		return logical.InvalidRequest("%s", strings.Join(errs, "; "))
	}
	return nil
}

func printable(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}

// apply changes meta as the update asks. On a patch custom metadata is
// merged, otherwise replaced.
func (u *metadataUpdate) apply(meta *keyMetadata, patch bool) error {
	if u.maxVersions != nil {
		meta.MaxVersions = *u.maxVersions
	}
	if u.casRequired != nil {
		meta.CASRequired = *u.casRequired
	}
	if u.deleteVersionAfter != nil {
		meta.DeleteVersionAfter = *u.deleteVersionAfter
	}
	if !u.hasCustomMetadata {
		return nil
	}
	merged := map[string]string{}
	if patch && u.customMetadata != nil {
		for k, v := range meta.CustomMetadata {
			merged[k] = v
		}
	}
	for k, v := range u.customMetadata {
		if v == nil {
			delete(merged, k)
			continue
		}
		merged[k] = *v
	}
	if err := validateCustomMetadata(merged); err != nil {
		return err
	}
	meta.CustomMetadata = merged
	return nil
}

func (b *V2) metadataWrite(ctx context.Context, s logical.Storage, req *logical.Request, path string) (*logical.Response, error) {
	return b.metadataChange(ctx, s, req, path, false)
}

func (b *V2) metadataPatch(ctx context.Context, s logical.Storage, req *logical.Request, path string) (*logical.Response, error) {
	if err := checkMergePatch(req); err != nil {
		return nil, err
	}
	return b.metadataChange(ctx, s, req, path, true)
}

// metadataChange writes (patch false) or patches a secret's metadata. A
// write creates the metadata if needed; a patch needs it to exist.
func (b *V2) metadataChange(ctx context.Context, s logical.Storage, req *logical.Request, path string, patch bool) (*logical.Response, error) {
	u, err := parseMetadataUpdate(req, patch)
	if err != nil {
		return nil, err
	}
	if u.empty() && !patch {
		return nil, nil
	}
	conf, err := b.config(ctx, s)
	if err != nil {
		return nil, err
	}
	var resp *logical.Response
	if u.casRequired != nil && !*u.casRequired && conf.CASRequired {
		resp = &logical.Response{}
		resp.AddWarning(casIgnoredWarning)
	}
	return b.lockedMeta(ctx, s, path, true, func(meta *keyMetadata) (*logical.Response, error) {
		if meta == nil {
			if patch {
				return notFound(), nil
			}
			now := b.now()
			meta = &keyMetadata{Path: path, Versions: map[uint64]*versionMeta{}, CreatedTime: now, UpdatedTime: now}
		}
		if err := u.apply(meta, patch); err != nil {
			return nil, err
		}
		op, err := putMetaOp(meta)
		if err != nil {
			return nil, err
		}
		return resp, commit(ctx, s, op)
	})
}

// metadataDelete removes a secret's metadata and the data of every version
// in one commit.
func (b *V2) metadataDelete(ctx context.Context, s logical.Storage, path string) (*logical.Response, error) {
	return b.withMeta(ctx, s, path, true, func(meta *keyMetadata) (*logical.Response, error) {
		ops := make([]logical.StorageOp, 0, len(meta.Versions)+1)
		for v, vm := range meta.Versions {
			if !vm.Destroyed {
				ops = append(ops, logical.StorageOp{Delete: true, Key: versionKey(path, v)})
			}
		}
		ops = append(ops, logical.StorageOp{Delete: true, Key: metaKey(path)})
		return nil, commit(ctx, s, ops...)
	})
}
