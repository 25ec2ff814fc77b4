package approle

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

// Storage prefixes.
const (
	rolePrefix     = "role/"
	roleIDPrefix   = "role_id/"   // HMAC of a role ID → role name
	secretIDPrefix = "secret_id/" // role name / HMAC of a secret ID → entry
	accessorPrefix = "accessor/"  // accessor → role name and secret ID HMAC
)

// role is one stored role.
type role struct {
	RoleID             string        `json:"role_id"`
	BindSecretID       bool          `json:"bind_secret_id"`
	SecretIDBoundCIDRs []string      `json:"secret_id_bound_cidrs"`
	SecretIDNumUses    int64         `json:"secret_id_num_uses"`
	SecretIDTTL        time.Duration `json:"secret_id_ttl"`
	LocalSecretIDs     bool          `json:"local_secret_ids"`
	tokenutil.TokenParams
}

var roleSchema = tokenutil.AddTokenFields(map[string]*logical.FieldSchema{
	"role_id":               {Type: logical.TypeString},
	"bind_secret_id":        {Type: logical.TypeBool, Default: true},
	"secret_id_bound_cidrs": {Type: logical.TypeStringList},
	"bound_cidr_list":       {Type: logical.TypeStringList},
	"secret_id_num_uses":    {Type: logical.TypeInt},
	"secret_id_ttl":         {Type: logical.TypeDuration},
	"local_secret_ids":      {Type: logical.TypeBool},
	"period":                {Type: logical.TypeDuration},
})

var roleIDSchema = map[string]*logical.FieldSchema{"role_id": {Type: logical.TypeString}}

func loadRole(ctx context.Context, s logical.Storage, name string) (*role, error) {
	entry, err := s.Get(ctx, rolePrefix+name)
	if err != nil {
		return nil, fmt.Errorf("approle: read role: %w", err)
	}
	if entry == nil {
		return nil, nil
	}
	var r role
	if err := json.Unmarshal(entry.Value, &r); err != nil {
		return nil, fmt.Errorf("approle: decode role: %w", err)
	}
	return &r, nil
}

func putJSON(ctx context.Context, s logical.Storage, key string, v any) error {
	value, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("approle: encode %s: %w", key, err)
	}
	if err := s.Put(ctx, &logical.StorageEntry{Key: key, Value: value}); err != nil {
		return fmt.Errorf("approle: write: %w", err)
	}
	return nil
}

func (b *Backend) readRole(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	r, err := loadRole(ctx, req.Storage, name)
	if err != nil || r == nil {
		return nil, err
	}
	d := map[string]any{
		"bind_secret_id":        r.BindSecretID,
		"secret_id_bound_cidrs": nonNil(r.SecretIDBoundCIDRs),
		"secret_id_num_uses":    r.SecretIDNumUses,
		"secret_id_ttl":         int64(r.SecretIDTTL / time.Second),
		"local_secret_ids":      r.LocalSecretIDs,
	}
	r.PopulateTokenData(d)
	d["period"] = int64(r.TokenPeriod / time.Second)
	return &logical.Response{Data: d}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// writeRole creates or updates a role. Nothing is written unless every
// field is valid.
func (b *Backend) writeRole(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: roleSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r, err := loadRole(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	creating := r == nil
	if creating {
		r = &role{BindSecretID: true}
	}
	if v, ok, _ := fd.GetOk("bind_secret_id"); ok {
		r.BindSecretID = v.(bool)
	}
	cidrs, ok, _ := fd.GetOk("secret_id_bound_cidrs")
	if !ok {
		cidrs, ok, _ = fd.GetOk("bound_cidr_list")
	}
	if ok {
		c, err := tokenutil.CanonicalCIDRs(cidrs.([]string))
		if err != nil {
			return nil, logical.InvalidRequest("invalid secret_id_bound_cidrs: %v", err)
		}
		r.SecretIDBoundCIDRs = c
	}
	if v, ok, _ := fd.GetOk("secret_id_num_uses"); ok {
		if v.(int64) < 0 {
			return nil, logical.InvalidRequest("secret_id_num_uses cannot be negative")
		}
		r.SecretIDNumUses = v.(int64)
	}
	if v, ok, _ := fd.GetOk("secret_id_ttl"); ok {
		r.SecretIDTTL = v.(time.Duration)
	}
	if v, ok, _ := fd.GetOk("local_secret_ids"); ok {
		if !creating && v.(bool) != r.LocalSecretIDs {
			return nil, logical.InvalidRequest("local_secret_ids can only be modified during role creation")
		}
		r.LocalSecretIDs = v.(bool)
	}
	if err := r.ParseTokenFields(fd); err != nil {
		return nil, err
	}
	if v, ok, _ := fd.GetOk("period"); ok {
		if _, newSet, _ := fd.GetOk("token_period"); !newSet {
			r.TokenPeriod = v.(time.Duration)
		}
	}
	warnings, err := r.CheckTokenFields(b.system.MaxLeaseTTL())
	if err != nil {
		return nil, err
	}
	if !r.BindSecretID && len(r.SecretIDBoundCIDRs) == 0 && len(r.TokenBoundCIDRs) == 0 {
		return nil, logical.InvalidRequest("at least one constraint should be enabled on the role")
	}
	oldID := r.RoleID
	if v, ok, _ := fd.GetOk("role_id"); ok && v.(string) != "" {
		r.RoleID = v.(string)
	}
	if r.RoleID == "" {
		if r.RoleID, err = newUUID(); err != nil {
			return nil, err
		}
	}
	if err := b.setRoleID(ctx, req.Storage, name, oldID, r.RoleID); err != nil {
		return nil, err
	}
	if err := putJSON(ctx, req.Storage, rolePrefix+name, r); err != nil {
		return nil, err
	}
	if len(warnings) == 0 {
		return nil, nil
	}
	return &logical.Response{Warnings: warnings}, nil
}

// setRoleID points the index of newID at the role, refusing an ID another
// role holds, and drops the index of oldID. The caller holds b.mu.
func (b *Backend) setRoleID(ctx context.Context, s logical.Storage, name, oldID, newID string) error {
	if oldID == newID {
		return nil
	}
	newKey, err := b.hmacOf(ctx, s, newID)
	if err != nil {
		return err
	}
	existing, err := s.Get(ctx, roleIDPrefix+newKey)
	if err != nil {
		return fmt.Errorf("approle: read role ID index: %w", err)
	}
	if existing != nil && string(existing.Value) != name {
		return logical.InvalidRequest("role_id already in use")
	}
	if err := s.Put(ctx, &logical.StorageEntry{Key: roleIDPrefix + newKey, Value: []byte(name)}); err != nil {
		return fmt.Errorf("approle: write role ID index: %w", err)
	}
	if oldID == "" {
		return nil
	}
	oldKey, err := b.hmacOf(ctx, s, oldID)
	if err != nil {
		return err
	}
	return s.Delete(ctx, roleIDPrefix+oldKey)
}

// roleByID finds the role holding a role ID.
func (b *Backend) roleByID(ctx context.Context, s logical.Storage, roleID string) (string, *role, error) {
	key, err := b.hmacOf(ctx, s, roleID)
	if err != nil {
		return "", nil, err
	}
	entry, err := s.Get(ctx, roleIDPrefix+key)
	if err != nil || entry == nil {
		return "", nil, err
	}
	name := string(entry.Value)
	r, err := loadRole(ctx, s, name)
	if err != nil || r == nil {
		return "", nil, err
	}
	return name, r, nil
}

func (b *Backend) deleteRole(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, err := loadRole(ctx, req.Storage, name)
	if err != nil || r == nil {
		return nil, err
	}
	ids, err := b.secretIDsOf(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	for _, e := range ids {
		if err := b.deleteSecretID(ctx, req.Storage, name, e.hmac, e.SecretIDAccessor); err != nil {
			return nil, err
		}
	}
	key, err := b.hmacOf(ctx, req.Storage, r.RoleID)
	if err != nil {
		return nil, err
	}
	if err := req.Storage.Delete(ctx, roleIDPrefix+key); err != nil {
		return nil, fmt.Errorf("approle: delete role ID index: %w", err)
	}
	if err := req.Storage.Delete(ctx, rolePrefix+name); err != nil {
		return nil, fmt.Errorf("approle: delete role: %w", err)
	}
	return nil, nil
}

func (b *Backend) readRoleID(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	r, err := loadRole(ctx, req.Storage, name)
	if err != nil || r == nil {
		return nil, err
	}
	return &logical.Response{Data: map[string]any{"role_id": r.RoleID}}, nil
}

func (b *Backend) writeRoleID(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: roleIDSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	id := fd.Get("role_id").(string)
	if id == "" {
		return nil, logical.InvalidRequest("missing role_id")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r, err := loadRole(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, logical.InvalidRequest("role %q does not exist", name)
	}
	if err := b.setRoleID(ctx, req.Storage, name, r.RoleID, id); err != nil {
		return nil, err
	}
	r.RoleID = id
	return nil, putJSON(ctx, req.Storage, rolePrefix+name, r)
}
