package kv

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// Mount type names this package serves.
const (
	// MountTypeKV is "kv": version 1 unless options.version is "2".
	MountTypeKV = "kv"
	// MountTypeKVv2 is "kv-v2": always version 2.
	MountTypeKVv2 = "kv-v2"
)

// Factory builds the KV engine for a mount: KV v2 when the mount type is
// "kv-v2" or options.version is "2", KV v1 otherwise. Opening a mount that
// holds KV v1 data as v2 upgrades the data first.
func Factory(ctx context.Context, conf *logical.BackendConfig) (logical.Backend, error) {
	if conf == nil {
		return nil, errors.New("kv: nil backend config")
	}
	if IsVersion2(conf.MountType, conf.Options) {
		return NewV2(ctx, conf)
	}
	return NewV1(ctx, conf)
}

// IsVersion2 reports whether a mount of this type and options is KV v2.
func IsVersion2(mountType string, options map[string]string) bool {
	return mountType == MountTypeKVv2 || options["version"] == "2"
}

// errNoStorage is returned when neither the request nor the mount has a
// storage view.
var errNoStorage = errors.New("kv: no storage view")

// base holds what both engine versions share.
type base struct {
	storage logical.Storage
	system  logical.SystemView
	logger  *slog.Logger
}

func newBase(conf *logical.BackendConfig) base {
	logger := conf.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return base{storage: conf.Storage, system: conf.System, logger: logger}
}

// storageFor returns the request's storage view, or the mount's when the
// request carries none.
func (b *base) storageFor(req *logical.Request) (logical.Storage, error) {
	if req.Storage != nil {
		return req.Storage, nil
	}
	if b.storage != nil {
		return b.storage, nil
	}
	return nil, errNoStorage
}

// now is the server's clock in UTC.
func (b *base) now() time.Time {
	if b.system != nil {
		return b.system.Now().UTC()
	}
	return time.Now().UTC()
}

// SpecialPaths implements logical.Backend: every KV path needs a token and
// none needs sudo.
func (b *base) SpecialPaths() logical.SpecialPaths { return logical.SpecialPaths{} }

// notFound is a 404 whose body carries no error message, as Vault answers
// for a secret that is not there.
func notFound() *logical.Response {
	return &logical.Response{StatusCode: 404}
}
