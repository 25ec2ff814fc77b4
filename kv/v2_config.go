package kv

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// configSchema is the body of a config write (delete_version_after is
// signed and read separately).
func configSchema() map[string]*logical.FieldSchema {
	return map[string]*logical.FieldSchema{
		"max_versions": {Type: logical.TypeInt},
		"cas_required": {Type: logical.TypeBool},
	}
}

// handleConfig serves config: read, and write of max_versions,
// cas_required and delete_version_after.
func (b *V2) handleConfig(ctx context.Context, s logical.Storage, req *logical.Request) (*logical.Response, error) {
	switch req.Operation {
	case logical.ReadOperation:
		conf, err := b.config(ctx, s)
		if err != nil {
			return nil, err
		}
		return &logical.Response{Data: map[string]any{
			"max_versions":         conf.MaxVersions,
			"cas_required":         conf.CASRequired,
			"delete_version_after": conf.DeleteVersionAfter.String(),
		}}, nil
	case logical.CreateOperation, logical.UpdateOperation:
		return b.configWrite(ctx, s, req)
	}
	return nil, logical.ErrUnsupportedOperation
}

// configWrite changes the settings the request names. delete_version_after
// below zero disables automatic deletion for every key, zero clears it.
func (b *V2) configWrite(ctx context.Context, s logical.Storage, req *logical.Request) (*logical.Response, error) {
	fd, err := logical.RequestFields(req, configSchema())
	if err != nil {
		return nil, err
	}
	maxVersions, mOK, err := getMaxVersions(fd)
	if err != nil {
		return nil, err
	}
	cas, cOK, err := getBool(fd, "cas_required")
	if err != nil {
		return nil, err
	}
	var dva time.Duration
	dvaRaw, dOK := req.Data["delete_version_after"]
	dOK = dOK && dvaRaw != nil
	if dOK {
		if dva, err = parseSignedDuration(dvaRaw); err != nil {
			return nil, logical.InvalidRequest("error converting input for field %q: %v", "delete_version_after", err)
		}
	}
	if !mOK && !cOK && !dOK {
		return nil, nil
	}

	b.cfgMu.Lock()
	defer b.cfgMu.Unlock()
	conf := config{}
	if b.cfg != nil {
		conf = *b.cfg
	} else if entry, err := s.Get(ctx, v2ConfigKey); err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	} else if entry != nil {
		if err := decodeJSON(entry.Value, &conf); err != nil {
			return nil, err
		}
	}
	if mOK {
		conf.MaxVersions = maxVersions
	}
	if cOK {
		conf.CASRequired = cas
	}
	if dOK {
		conf.DeleteVersionAfter = max(dva, deleteVersionAfterDisabled)
	}
	buf, err := json.Marshal(conf)
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if err := commit(ctx, s, logical.StorageOp{Key: v2ConfigKey, Value: buf}); err != nil {
		return nil, err
	}
	b.cfg = &conf
	return nil, nil
}
