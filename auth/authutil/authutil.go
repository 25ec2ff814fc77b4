package authutil

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/vaultd/vaultd/logical"
)

// nameRE is Vault's rule for role and user names in paths.
var nameRE = regexp.MustCompile(`^\w(([\w.@-]+)?\w)?$`)

// ValidName reports whether name may name a role or user in a path.
func ValidName(name string) bool { return nameRE.MatchString(name) }

// Defaults returns the config's logger and system view, or, where the
// config leaves them out, a logger that discards and a static system view.
// A nil config is an error, "<method>: nil backend config".
func Defaults(conf *logical.BackendConfig, method string) (*slog.Logger, logical.SystemView, error) {
	if conf == nil {
		return nil, nil, fmt.Errorf("%s: nil backend config", method)
	}
	return conf.LoggerOrDiscard(), conf.SystemOrStatic(), nil
}

// Handler answers one request.
type Handler func(ctx context.Context, req *logical.Request) (*logical.Response, error)

// RoleHandler answers one request about the named role.
type RoleHandler func(ctx context.Context, req *logical.Request, name string) (*logical.Response, error)

// RoleRoutes are the paths of a method made of a config entry, roles and
// a login: config (read, write), login (write), role (list), role/NAME
// (read, write, delete), and the renewal of the tokens it issued.
type RoleRoutes struct {
	Renew, ReadConfig, WriteConfig, Login, ListRoles Handler
	ReadRole, WriteRole, DeleteRole                  RoleHandler
	// RoleExists reports whether the named role is stored.
	RoleExists func(ctx context.Context, s logical.Storage, name string) (bool, error)
}

// HandleRequest sends a request to its handler: an unknown path, or a role
// name Vault would refuse, is logical.ErrUnsupportedPath; a known path
// with an operation it does not take is logical.ErrUnsupportedOperation.
func (rr *RoleRoutes) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	if req.Operation == logical.RenewOperation {
		return rr.Renew(ctx, req)
	}
	write := req.Operation == logical.CreateOperation || req.Operation == logical.UpdateOperation
	switch path := strings.Trim(req.Path, "/"); {
	case path == "config":
		switch {
		case req.Operation == logical.ReadOperation:
			return rr.ReadConfig(ctx, req)
		case write:
			return rr.WriteConfig(ctx, req)
		}
	case path == "login":
		if write {
			return rr.Login(ctx, req)
		}
	case path == "role":
		if req.Operation == logical.ListOperation {
			return rr.ListRoles(ctx, req)
		}
	case strings.HasPrefix(path, "role/"):
		name := strings.TrimPrefix(path, "role/")
		if !ValidName(name) {
			return nil, logical.ErrUnsupportedPath
		}
		switch {
		case req.Operation == logical.ReadOperation:
			return rr.ReadRole(ctx, req, name)
		case write:
			return rr.WriteRole(ctx, req, name)
		case req.Operation == logical.DeleteOperation:
			return rr.DeleteRole(ctx, req, name)
		}
	default:
		return nil, logical.ErrUnsupportedPath
	}
	return nil, logical.ErrUnsupportedOperation
}

// ExistenceCheck implements logical.Backend's check for these routes: a
// role write is a create when the role does not exist yet; other paths do
// not distinguish.
func (rr *RoleRoutes) ExistenceCheck(ctx context.Context, req *logical.Request) (ok, exists bool, err error) {
	name, isRole := strings.CutPrefix(strings.Trim(req.Path, "/"), "role/")
	if !isRole || !ValidName(name) {
		return false, false, nil
	}
	exists, err = rr.RoleExists(ctx, req.Storage, name)
	if err != nil {
		return false, false, err
	}
	return true, exists, nil
}

// List answers a list request for the entries under prefix: their keys,
// or no response when there are none. A storage error is wrapped as
// "<what>: <error>".
func List(ctx context.Context, s logical.Storage, prefix, what string) (*logical.Response, error) {
	keys, err := s.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	return &logical.Response{Data: map[string]any{"keys": keys}}, nil
}
