package userpass

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/vaultd/vaultd/auth/authutil"
	"github.com/vaultd/vaultd/logical"
)

// MountType is the auth method's type name.
const MountType = "userpass"

// Backend is the userpass auth method.
type Backend struct {
	logger *slog.Logger
	system logical.SystemView
	// dummyHash is a real bcrypt hash at the cost users' passwords get, so
	// that a login for a missing user costs one comparison like any other.
	dummyHash []byte
	// writeMu serialises read-modify-write of user entries.
	writeMu sync.Mutex
}

var _ logical.Backend = (*Backend)(nil)

// Factory builds the auth method; register it under "userpass".
func Factory(_ context.Context, conf *logical.BackendConfig) (logical.Backend, error) {
	logger, system, err := authutil.Defaults(conf, "userpass")
	if err != nil {
		return nil, err
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("vaultd-userpass-dummy"), bcrypt.DefaultCost)
	if err != nil {
		return nil, fmt.Errorf("userpass: dummy hash: %w", err)
	}
	return &Backend{logger: logger, system: system, dummyHash: dummy}, nil
}

// SpecialPaths implements logical.Backend: login needs no token.
func (b *Backend) SpecialPaths() logical.SpecialPaths {
	return logical.SpecialPaths{Unauthenticated: []string{"login/*"}}
}

// HandleRequest implements logical.Backend.
func (b *Backend) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	if req.Operation == logical.RenewOperation {
		return b.renew(ctx, req)
	}
	path := strings.Trim(req.Path, "/")
	write := req.Operation == logical.CreateOperation || req.Operation == logical.UpdateOperation
	switch {
	case path == "users":
		if req.Operation == logical.ListOperation {
			return b.listUsers(ctx, req)
		}
	case strings.HasPrefix(path, "login/"):
		name := strings.TrimPrefix(path, "login/")
		if !authutil.ValidName(name) {
			return nil, logical.ErrUnsupportedPath
		}
		if write {
			return b.login(ctx, req, name)
		}
	case strings.HasPrefix(path, "users/"):
		rest := strings.TrimPrefix(path, "users/")
		name, sub, _ := strings.Cut(rest, "/")
		if !authutil.ValidName(name) {
			return nil, logical.ErrUnsupportedPath
		}
		switch sub {
		case "":
			switch {
			case req.Operation == logical.ReadOperation:
				return b.readUser(ctx, req, name)
			case write:
				return b.writeUser(ctx, req, name)
			case req.Operation == logical.DeleteOperation:
				return b.deleteUser(ctx, req, name)
			}
		case "password":
			if write {
				return b.writePassword(ctx, req, name)
			}
		case "policies":
			if write {
				return b.writePolicies(ctx, req, name)
			}
		default:
			return nil, logical.ErrUnsupportedPath
		}
	default:
		return nil, logical.ErrUnsupportedPath
	}
	return nil, logical.ErrUnsupportedOperation
}

// ExistenceCheck implements logical.Backend: writing a user that does not
// exist is a create.
func (b *Backend) ExistenceCheck(ctx context.Context, req *logical.Request) (ok, exists bool, err error) {
	name, isUser := strings.CutPrefix(strings.Trim(req.Path, "/"), "users/")
	if !isUser || !authutil.ValidName(name) {
		return false, false, nil
	}
	u, err := loadUser(ctx, req.Storage, name)
	if err != nil {
		return false, false, err
	}
	return true, u != nil, nil
}
