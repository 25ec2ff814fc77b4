package database

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// role is a dynamic role as stored.
type role struct {
	DBName     string        `json:"db_name"`
	Creation   []string      `json:"creation_statements"`
	Revocation []string      `json:"revocation_statements"`
	Renew      []string      `json:"renew_statements"`
	Rollback   []string      `json:"rollback_statements"`
	DefaultTTL time.Duration `json:"default_ttl"`
	MaxTTL     time.Duration `json:"max_ttl"`
}

var roleSchema = map[string]*logical.FieldSchema{
	"db_name":         {Type: logical.TypeString},
	"default_ttl":     {Type: logical.TypeDuration},
	"max_ttl":         {Type: logical.TypeDuration},
	"credential_type": {Type: logical.TypeString},
}

func (b *Backend) loadJSON(ctx context.Context, key string, v any) (bool, error) {
	entry, err := b.storage.Get(ctx, key)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", key, err)
	}
	if entry == nil {
		return false, nil
	}
	if err := json.Unmarshal(entry.Value, v); err != nil {
		return false, fmt.Errorf("decode %s: %w", key, err)
	}
	return true, nil
}

func (b *Backend) saveJSON(ctx context.Context, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	if err := b.storage.Put(ctx, &logical.StorageEntry{Key: key, Value: raw}); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

func (b *Backend) loadRole(ctx context.Context, name string) (*role, error) {
	var r role
	ok, err := b.loadJSON(ctx, rolePrefix+name, &r)
	if err != nil || !ok {
		return nil, err
	}
	return &r, nil
}

// roleWrite creates or updates a dynamic role; fields left out of an
// update keep their values.
func (b *Backend) roleWrite(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	fd, err := logical.RequestFields(req, roleSchema)
	if err != nil {
		return nil, err
	}
	if ct, _ := str(fd, "credential_type"); ct != "" && ct != "password" {
		return nil, logical.InvalidRequest("credential_type %q is not supported: only \"password\"", ct)
	}
	var static staticRole
	if ok, err := b.loadJSON(ctx, staticPrefix+name, &static); err != nil {
		return nil, err
	} else if ok {
		return nil, logical.InvalidRequest("Role and Static Role names must be unique")
	}
	r, err := b.loadRole(ctx, name)
	if err != nil {
		return nil, err
	}
	if r == nil {
		r = &role{}
	}
	if v, ok := str(fd, "db_name"); ok {
		r.DBName = v
	}
	for field, dst := range map[string]*[]string{"creation_statements": &r.Creation, "revocation_statements": &r.Revocation,
		"renew_statements": &r.Renew, "rollback_statements": &r.Rollback} {
		v, ok, err := statements(req, field)
		if err != nil {
			return nil, err
		}
		if ok {
			*dst = v
		}
	}
	if v, ok, _ := fd.GetOk("default_ttl"); ok {
		r.DefaultTTL = v.(time.Duration)
	}
	if v, ok, _ := fd.GetOk("max_ttl"); ok {
		r.MaxTTL = v.(time.Duration)
	}
	switch {
	case r.DBName == "":
		return nil, logical.InvalidRequest("empty database name attribute")
	case len(r.Creation) == 0:
		return nil, logical.InvalidRequest("empty creation statements")
	case r.MaxTTL > 0 && r.DefaultTTL > r.MaxTTL:
		return nil, logical.InvalidRequest("default_ttl cannot be greater than max_ttl")
	}
	return nil, b.saveJSON(ctx, rolePrefix+name, r)
}

func (b *Backend) roleRead(ctx context.Context, _ *logical.Request, name string) (*logical.Response, error) {
	r, err := b.loadRole(ctx, name)
	if err != nil || r == nil {
		return nil, err
	}
	return &logical.Response{Data: map[string]any{
		"db_name":               r.DBName,
		"creation_statements":   nonNil(r.Creation),
		"revocation_statements": nonNil(r.Revocation),
		"renew_statements":      nonNil(r.Renew),
		"rollback_statements":   nonNil(r.Rollback),
		"default_ttl":           seconds(r.DefaultTTL),
		"max_ttl":               seconds(r.MaxTTL),
		"credential_type":       "password",
		"credential_config":     map[string]any{},
	}}, nil
}

func (b *Backend) roleDelete(ctx context.Context, _ *logical.Request, name string) (*logical.Response, error) {
	if err := b.storage.Delete(ctx, rolePrefix+name); err != nil {
		return nil, fmt.Errorf("delete role: %w", err)
	}
	return nil, nil
}
