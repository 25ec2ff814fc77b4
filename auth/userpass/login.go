package userpass

import (
	"context"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

var loginSchema = map[string]*logical.FieldSchema{
	"password": {Type: logical.TypeString},
}

// errBadLogin is Vault's one answer to a missing user and a wrong password.
var errBadLogin = logical.InvalidRequest("invalid username or password")

// login checks the password with one bcrypt comparison whether or not the
// user exists (against a real dummy hash when not), so that both failures
// cost the same and answer the same.
func (b *Backend) login(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: loginSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	name = strings.ToLower(name)
	password := fd.Get("password").(string)
	if password == "" {
		return nil, logical.InvalidRequest("missing password")
	}
	u, err := loadUser(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	hash := b.dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	if u == nil || !match {
		return nil, errBadLogin
	}
	if !tokenutil.AddrInCIDRs(req.RemoteAddr, u.TokenBoundCIDRs) {
		return nil, logical.ErrPermissionDenied
	}
	auth := &logical.Auth{
		DisplayName:  name,
		Metadata:     map[string]string{"username": name},
		Alias:        &logical.Alias{Name: name},
		InternalData: map[string]any{"username": name},
	}
	u.PopulateTokenAuth(auth)
	return &logical.Response{Auth: auth}, nil
}

// renew lets a token be renewed while its user exists with the same
// policies; it takes the user's current TTLs.
func (b *Backend) renew(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	if req.Auth == nil {
		return nil, logical.InvalidRequest("renew: no auth to renew")
	}
	name, _ := req.Auth.InternalData["username"].(string)
	if name == "" {
		name = req.Auth.Metadata["username"]
	}
	u, err := loadUser(ctx, req.Storage, name)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, logical.ErrPermissionDenied
	}
	have := tokenutil.SanitizePolicies(req.Auth.TokenPolicies, false)
	want := tokenutil.SanitizePolicies(u.TokenPolicies, !u.TokenNoDefaultPolicy)
	if !slices.Equal(tokenutil.SanitizePolicies(have, !u.TokenNoDefaultPolicy), want) {
		return nil, logical.InvalidRequest("policies have changed, not renewing")
	}
	return u.Renewed(req.Auth), nil
}
