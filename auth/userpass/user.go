package userpass

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/vaultd/vaultd/auth/authutil"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

const userPrefix = "user/"

// user is one stored user. The password is kept only as its bcrypt hash.
type user struct {
	PasswordHash []byte `json:"password_hash"`
	tokenutil.TokenParams
}

var userSchema = tokenutil.AddTokenFields(map[string]*logical.FieldSchema{
	"password": {Type: logical.TypeString},
})

var passwordSchema = map[string]*logical.FieldSchema{
	"password": {Type: logical.TypeString},
}

var policiesSchema = map[string]*logical.FieldSchema{
	"policies":       {Type: logical.TypeStringList},
	"token_policies": {Type: logical.TypeStringList},
}

func userKey(name string) string { return userPrefix + strings.ToLower(name) }

func loadUser(ctx context.Context, s logical.Storage, name string) (*user, error) {
	entry, err := s.Get(ctx, userKey(name))
	if err != nil {
		return nil, fmt.Errorf("userpass: read user: %w", err)
	}
	if entry == nil {
		return nil, nil
	}
	var u user
	if err := json.Unmarshal(entry.Value, &u); err != nil {
		return nil, fmt.Errorf("userpass: decode user: %w", err)
	}
	return &u, nil
}

func saveUser(ctx context.Context, s logical.Storage, name string, u *user) error {
	value, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("userpass: encode user: %w", err)
	}
	if err := s.Put(ctx, &logical.StorageEntry{Key: userKey(name), Value: value}); err != nil {
		return fmt.Errorf("userpass: write user: %w", err)
	}
	return nil
}

// hashPassword refuses an empty password and one bcrypt cannot take.
func hashPassword(password string) ([]byte, error) {
	if password == "" {
		return nil, logical.InvalidRequest("missing password")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return nil, logical.InvalidRequest("invalid password: %v", err)
	}
	return h, nil
}

func (b *Backend) listUsers(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	return authutil.List(ctx, req.Storage, userPrefix, "userpass: list users")
}

func (b *Backend) readUser(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	u, err := loadUser(ctx, req.Storage, name)
	if err != nil || u == nil {
		return nil, err
	}
	d := map[string]any{}
	u.PopulateTokenData(d)
	return &logical.Response{Data: d}, nil
}

func (b *Backend) deleteUser(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	if err := req.Storage.Delete(ctx, userKey(name)); err != nil {
		return nil, fmt.Errorf("userpass: delete user: %w", err)
	}
	return nil, nil
}

// writeUser creates a user (a password is required) or updates one; fields
// left out keep their values. Nothing is written unless every field is valid.
func (b *Backend) writeUser(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: userSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	u, err := loadUser(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	if u == nil {
		u = &user{}
	}
	if err := u.ParseTokenFields(fd); err != nil {
		return nil, err
	}
	warnings, err := u.CheckTokenFields(b.system.MaxLeaseTTL())
	if err != nil {
		return nil, err
	}
	if pw, ok, _ := fd.GetOk("password"); ok || u.PasswordHash == nil {
		h, err := hashPassword(pw.(string))
		if err != nil {
			return nil, err
		}
		u.PasswordHash = h
	}
	if err := saveUser(ctx, req.Storage, name, u); err != nil {
		return nil, err
	}
	if len(warnings) == 0 {
		return nil, nil
	}
	return &logical.Response{Warnings: warnings}, nil
}

func (b *Backend) writePassword(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: passwordSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	h, err := hashPassword(fd.Get("password").(string))
	if err != nil {
		return nil, err
	}
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	u, err := loadUser(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, logical.InvalidRequest("username does not exist")
	}
	u.PasswordHash = h
	return nil, saveUser(ctx, req.Storage, name, u)
}

func (b *Backend) writePolicies(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: policiesSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	v, ok, _ := fd.GetOk("token_policies")
	if !ok {
		v, _, _ = fd.GetOk("policies")
	}
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	u, err := loadUser(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, logical.InvalidRequest("username does not exist")
	}
	u.TokenPolicies = tokenutil.SanitizePolicies(v.([]string), false)
	return nil, saveUser(ctx, req.Storage, name, u)
}
