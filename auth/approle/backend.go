package approle

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/vaultd/vaultd/auth/authutil"
	"github.com/vaultd/vaultd/logical"
)

// MountType is the auth method's type name.
const MountType = "approle"

// hmacKeyPath holds the mount's random HMAC key for secret and role IDs.
const hmacKeyPath = "hmac_key"

// Backend is the AppRole auth method.
type Backend struct {
	logger *slog.Logger
	system logical.SystemView

	keyMu sync.Mutex
	key   []byte

	// mu serialises every change to roles and secret IDs (and the counting
	// of a secret ID's uses), so two logins cannot both spend its last use.
	mu sync.Mutex
}

var _ logical.Backend = (*Backend)(nil)

// Factory builds the auth method; register it under "approle".
func Factory(_ context.Context, conf *logical.BackendConfig) (logical.Backend, error) {
	logger, system, err := authutil.Defaults(conf, "approle")
	if err != nil {
		return nil, err
	}
	return &Backend{logger: logger, system: system}, nil
}

// SpecialPaths implements logical.Backend: login needs no token.
func (b *Backend) SpecialPaths() logical.SpecialPaths {
	return logical.SpecialPaths{Unauthenticated: []string{"login"}}
}

// hmacOf returns the hex HMAC of s under the mount's key, creating the key
// on first use.
func (b *Backend) hmacOf(ctx context.Context, s logical.Storage, value string) (string, error) {
	b.keyMu.Lock()
	defer b.keyMu.Unlock()
	if b.key == nil {
		entry, err := s.Get(ctx, hmacKeyPath)
		if err != nil {
			return "", fmt.Errorf("approle: read hmac key: %w", err)
		}
		if entry != nil {
			b.key = entry.Value
		} else {
			key := make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return "", err
			}
			if err := s.Put(ctx, &logical.StorageEntry{Key: hmacKeyPath, Value: key}); err != nil {
				return "", fmt.Errorf("approle: store hmac key: %w", err)
			}
			b.key = key
		}
	}
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// newUUID returns a random RFC 4122 version 4 UUID, the form Vault gives
// role IDs, secret IDs and accessors.
func newUUID() (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// HandleRequest implements logical.Backend.
func (b *Backend) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	if req.Operation == logical.RenewOperation {
		return b.renew(ctx, req)
	}
	path := strings.Trim(req.Path, "/")
	write := req.Operation == logical.CreateOperation || req.Operation == logical.UpdateOperation
	switch {
	case path == "login":
		if write {
			return b.login(ctx, req)
		}
	case path == "tidy/secret-id":
		if write {
			return b.tidy(ctx, req)
		}
	case path == "role":
		if req.Operation == logical.ListOperation {
			return listKeys(ctx, req.Storage, rolePrefix)
		}
	case strings.HasPrefix(path, "role/"):
		name, sub, _ := strings.Cut(strings.TrimPrefix(path, "role/"), "/")
		if !authutil.ValidName(name) {
			return nil, logical.ErrUnsupportedPath
		}
		return b.rolePath(ctx, req, strings.ToLower(name), sub, write)
	default:
		return nil, logical.ErrUnsupportedPath
	}
	return nil, logical.ErrUnsupportedOperation
}

// rolePath dispatches role/<name>[/<sub>].
func (b *Backend) rolePath(ctx context.Context, req *logical.Request, name, sub string, write bool) (*logical.Response, error) {
	op := req.Operation
	switch sub {
	case "":
		switch {
		case op == logical.ReadOperation:
			return b.readRole(ctx, req, name)
		case write:
			return b.writeRole(ctx, req, name)
		case op == logical.DeleteOperation:
			return b.deleteRole(ctx, req, name)
		}
	case "role-id":
		switch {
		case op == logical.ReadOperation:
			return b.readRoleID(ctx, req, name)
		case write:
			return b.writeRoleID(ctx, req, name)
		}
	case "secret-id":
		switch {
		case op == logical.ListOperation:
			return b.listSecretIDs(ctx, req, name)
		case write:
			return b.generateSecretID(ctx, req, name, false)
		}
	case "custom-secret-id":
		if write {
			return b.generateSecretID(ctx, req, name, true)
		}
	case "secret-id/lookup":
		if write {
			return b.lookupSecretID(ctx, req, name, false)
		}
	case "secret-id/destroy":
		if write || op == logical.DeleteOperation {
			return b.destroySecretID(ctx, req, name, false)
		}
	case "secret-id-accessor/lookup":
		if write {
			return b.lookupSecretID(ctx, req, name, true)
		}
	case "secret-id-accessor/destroy":
		if write || op == logical.DeleteOperation {
			return b.destroySecretID(ctx, req, name, true)
		}
	default:
		return nil, logical.ErrUnsupportedPath
	}
	return nil, logical.ErrUnsupportedOperation
}

// ExistenceCheck implements logical.Backend: writing a role that does not
// exist is a create.
func (b *Backend) ExistenceCheck(ctx context.Context, req *logical.Request) (ok, exists bool, err error) {
	name, isRole := strings.CutPrefix(strings.Trim(req.Path, "/"), "role/")
	if !isRole || !authutil.ValidName(name) {
		return false, false, nil
	}
	r, err := loadRole(ctx, req.Storage, strings.ToLower(name))
	if err != nil {
		return false, false, err
	}
	return true, r != nil, nil
}

func listKeys(ctx context.Context, s logical.Storage, prefix string) (*logical.Response, error) {
	return authutil.List(ctx, s, prefix, "approle: list")
}
