package database

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vaultd/vaultd/logical"
)

// MountType is the engine's type name.
const MountType = "database"

// rotationTick is how often static roles are checked for a due rotation.
const rotationTick = time.Second

// nameRe is what config, role and static role names may look like
// (Vault's generic name pattern).
var nameRe = regexp.MustCompile(`^\w(?:[\w.-]*\w)?$`)

// Backend is the database engine for one mount.
type Backend struct {
	storage logical.Storage
	logger  *slog.Logger
	system  logical.SystemView

	// mu guards pools; one pool per config name, built on first use and
	// closed when the config changes, is reset or deleted.
	mu    sync.Mutex
	pools map[string]*pgxpool.Pool

	// rotateMu serialises password changes of static roles and the root.
	rotateMu sync.Mutex

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

var (
	_ logical.Backend = (*Backend)(nil)
	_ logical.Cleaner = (*Backend)(nil)
)

// Factory builds a database engine for a mount and starts its static-role
// rotation loop.
func Factory(_ context.Context, conf *logical.BackendConfig) (logical.Backend, error) {
	if conf == nil || conf.Storage == nil {
		return nil, errors.New("database: nil backend config")
	}
	b := &Backend{
		storage: conf.Storage, logger: conf.LoggerOrDiscard(), system: conf.System,
		pools: map[string]*pgxpool.Pool{}, stop: make(chan struct{}),
	}
	b.wg.Add(1)
	go b.rotationLoop()
	return b, nil
}

// Cleanup implements logical.Cleaner: it stops the rotation loop and
// closes every pool.
func (b *Backend) Cleanup(context.Context) {
	b.stopOnce.Do(func() { close(b.stop) })
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	for name, p := range b.pools {
		p.Close()
		delete(b.pools, name)
	}
}

// SpecialPaths implements logical.Backend. As in Vault, no path needs sudo
// or goes without a token: policies alone guard config/ and rotate-root/.
func (b *Backend) SpecialPaths() logical.SpecialPaths { return logical.SpecialPaths{} }

// ExistenceCheck implements logical.Backend: config/, roles/ and
// static-roles/ writes are creates or updates; the action paths are updates.
func (b *Backend) ExistenceCheck(ctx context.Context, req *logical.Request) (bool, bool, error) {
	kind, name := splitPath(req.Path)
	prefix, ok := map[string]string{"config": configPrefix, "roles": rolePrefix, "static-roles": staticPrefix}[kind]
	if !ok || !nameRe.MatchString(name) {
		return false, false, nil
	}
	entry, err := b.storage.Get(ctx, prefix+name)
	if err != nil {
		return false, false, err
	}
	return true, entry != nil, nil
}

// splitPath cuts "roles/app" into "roles" and "app"; "roles" or "roles/"
// give an empty name.
func splitPath(p string) (kind, name string) {
	kind, name, _ = strings.Cut(strings.TrimSuffix(p, "/"), "/")
	return kind, name
}

type handler func(ctx context.Context, req *logical.Request, name string) (*logical.Response, error)

// HandleRequest implements logical.Backend.
func (b *Backend) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	switch req.Operation {
	case logical.RenewOperation:
		return b.secretRenew(ctx, req)
	case logical.RevokeOperation:
		return b.secretRevoke(ctx, req)
	}
	kind, name := splitPath(req.Path)
	write := req.Operation == logical.CreateOperation || req.Operation == logical.UpdateOperation
	routes := map[string]map[logical.Operation]handler{
		"config": {logical.ReadOperation: b.configRead, logical.DeleteOperation: b.configDelete,
			logical.CreateOperation: b.configWrite, logical.UpdateOperation: b.configWrite},
		"roles": {logical.ReadOperation: b.roleRead, logical.DeleteOperation: b.roleDelete,
			logical.CreateOperation: b.roleWrite, logical.UpdateOperation: b.roleWrite},
		"static-roles": {logical.ReadOperation: b.staticRead, logical.DeleteOperation: b.staticDelete,
			logical.CreateOperation: b.staticWrite, logical.UpdateOperation: b.staticWrite},
		"creds":        {logical.ReadOperation: b.credsRead},
		"static-creds": {logical.ReadOperation: b.staticCredsRead},
		"reset":        {logical.UpdateOperation: b.reset, logical.CreateOperation: b.reset},
		"rotate-root":  {logical.UpdateOperation: b.rotateRoot, logical.CreateOperation: b.rotateRoot},
		"rotate-role":  {logical.UpdateOperation: b.rotateRole, logical.CreateOperation: b.rotateRole},
	}
	ops, ok := routes[kind]
	if !ok {
		return nil, logical.ErrUnsupportedPath
	}
	if name == "" {
		lists := map[string]string{"config": configPrefix, "roles": rolePrefix, "static-roles": staticPrefix}
		if prefix, ok := lists[kind]; ok && req.Operation == logical.ListOperation {
			return b.list(ctx, prefix)
		}
		if write || req.Operation == logical.ReadOperation {
			return nil, logical.InvalidRequest("missing name")
		}
		return nil, logical.ErrUnsupportedOperation
	}
	if !nameRe.MatchString(name) {
		return nil, logical.InvalidRequest("invalid name %q", name)
	}
	h, ok := ops[req.Operation]
	if !ok {
		return nil, logical.ErrUnsupportedOperation
	}
	return h(ctx, req, name)
}

// list answers a LIST of configs, roles or static roles.
func (b *Backend) list(ctx context.Context, prefix string) (*logical.Response, error) {
	keys, err := b.storage.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, nil
	}
	return &logical.Response{Data: map[string]any{"keys": keys}}, nil
}

func (b *Backend) rotationLoop() {
	defer b.wg.Done()
	t := time.NewTicker(rotationTick)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			b.rotateDue(ctx)
			cancel()
		}
	}
}

func (b *Backend) now() time.Time {
	if b.system != nil {
		return b.system.Now()
	}
	return time.Now()
}
