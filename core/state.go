package core

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/auth/token"
	"github.com/vaultd/vaultd/barrier"
	"github.com/vaultd/vaultd/logical"
)

// unsealed is everything that exists only while the barrier is open. It is
// built at unseal and torn down at seal.
type unsealed struct {
	c      *Core
	ctx    context.Context
	cancel context.CancelFunc

	// tableLock serialises changes to the mount and audit tables.
	tableLock sync.Mutex
	mounts    []*MountEntry
	auths     []*MountEntry
	router    *router

	tokens     *token.Store
	policies   *policyStore
	audit      *audit.Broker
	auditTable []*auditEntry
	expiration *expiration

	// remounts remembers finished remounts for sys/remount/status.
	remounts sync.Map
}

// buildUnsealed loads the mount tables (creating the defaults on a new
// barrier), mounts every engine, opens the audit devices and starts the
// lease manager.
func (c *Core) buildUnsealed(ctx context.Context) (*unsealed, error) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	st := &unsealed{c: c, ctx: runCtx, cancel: cancel, router: newRouter(), audit: audit.NewBroker(c.logger)}
	if err := st.setup(ctx); err != nil {
		st.teardown(ctx)
		return nil, err
	}
	return st, nil
}

func (st *unsealed) setup(ctx context.Context) error {
	if err := st.loadMountTables(ctx); err != nil {
		return err
	}
	if err := st.ensureIdentityMount(ctx); err != nil {
		return err
	}
	st.policies = newPolicyStore(barrier.NewView(st.c.barrier, policyPrefix))
	if err := st.policies.ensureDefault(ctx); err != nil {
		return err
	}
	st.expiration = newExpiration(st, barrier.NewView(st.c.barrier, expirePrefix))
	if err := st.mountAll(ctx); err != nil {
		return err
	}
	st.wireIdentity()
	if err := st.loadAudit(ctx); err != nil {
		return err
	}
	return st.expiration.start(ctx)
}

func (st *unsealed) loadMountTables(ctx context.Context) error {
	b := st.c.barrier
	mounts, foundMounts, err := loadTable(ctx, b, mountsKey)
	if err != nil {
		return err
	}
	auths, foundAuth, err := loadTable(ctx, b, authKey)
	if err != nil {
		return err
	}
	if !foundMounts || !foundAuth {
		mounts, auths, err = defaultMounts()
		if err != nil {
			return err
		}
		if err := saveTable(ctx, b, mountsKey, mounts); err != nil {
			return err
		}
		if err := saveTable(ctx, b, authKey, auths); err != nil {
			return err
		}
	}
	st.mounts, st.auths = mounts, auths
	return nil
}

// mountAll builds the token store first (every other mount's tokens depend
// on it), then every engine in both tables.
func (st *unsealed) mountAll(ctx context.Context) error {
	for _, e := range append(append([]*MountEntry{}, st.auths...), st.mounts...) {
		if err := st.mountEngine(ctx, e); err != nil {
			return fmt.Errorf("mount %s (%s): %w", e.routePath(), e.Type, err)
		}
	}
	return nil
}

// mountEngine builds the backend for an entry and adds it to the router.
func (st *unsealed) mountEngine(ctx context.Context, e *MountEntry) error {
	c := st.c
	rt := &route{entry: e, system: mountSystemView{c: c, entry: e}}
	rt.view = barrier.NewView(c.barrier, e.viewPrefix())
	backend, err := st.newBackend(ctx, e, rt)
	if err != nil {
		return err
	}
	rt.backend = backend
	sp := backend.SpecialPaths()
	rt.unauth, rt.root = newPathSet(sp.Unauthenticated), newPathSet(sp.Root)
	st.router.add(rt)
	return nil
}

func (st *unsealed) newBackend(ctx context.Context, e *MountEntry, rt *route) (logical.Backend, error) {
	c := st.c
	switch e.Type {
	case typeSystem:
		return newSysBackend(st), nil
	case typeToken:
		store, err := token.NewStore(ctx, token.Config{
			Storage: rt.view,
			System:  rt.system,
			Logger:  c.logger.With("mount", "auth/token/"),
			Crypter: c.barrier,
		})
		if err != nil {
			return nil, fmt.Errorf("token store: %w", err)
		}
		store.SetHooks(tokenHooks{st: st})
		st.tokens = store
		return store.Backend(), nil
	}
	factories := c.conf.Engines
	if e.Table == tableAuth {
		factories = c.conf.AuthMethods
	}
	factory, ok := factories[e.Type]
	if !ok {
		return nil, fmt.Errorf("no engine of type %q", e.Type)
	}
	return factory(ctx, &logical.BackendConfig{
		Storage:   rt.view,
		Logger:    c.logger.With("mount", e.routePath()),
		System:    rt.system,
		Options:   e.Options,
		MountType: e.Type,
		Metrics:   c.sink(),
	})
}

// teardown stops background work and releases engines and devices.
func (st *unsealed) teardown(ctx context.Context) {
	st.cancel()
	if st.expiration != nil {
		st.expiration.stop()
	}
	for _, rt := range st.router.all() {
		if cl, ok := rt.backend.(logical.Cleaner); ok {
			cl.Cleanup(ctx)
		}
	}
	for _, a := range st.auditTable {
		st.audit.Deregister(a.Path)
	}
}

// tokenHooks is how the token store tells core about token lifecycles.
type tokenHooks struct{ st *unsealed }

func (h tokenHooks) TokenCreated(ctx context.Context, e *token.Entry) error {
	h.st.countTokenCreation(e)
	return h.st.expiration.trackToken(ctx, e)
}

func (h tokenHooks) TokenRenewed(ctx context.Context, e *token.Entry) error {
	return h.st.expiration.trackToken(ctx, e)
}

func (h tokenHooks) TokenRevoked(ctx context.Context, e *token.Entry) error {
	err := h.st.expiration.untrackToken(ctx, e)
	return errors.Join(err, h.st.destroyCubbyhole(ctx, e.Accessor))
}

// CheckRenew asks the auth method that issued a token whether it may be
// renewed. Tokens made by the token store itself need no one's consent.
func (h tokenHooks) CheckRenew(ctx context.Context, e *token.Entry) (*logical.Auth, error) {
	rt, rel := h.st.router.match(e.Path)
	if rt == nil {
		// The method that issued the token is gone: no one can vouch for it.
		return nil, logical.ErrPermissionDenied
	}
	if rt.entry.Type == typeToken {
		return nil, nil
	}
	auth := e.ToAuth()
	resp, err := rt.backend.HandleRequest(ctx, &logical.Request{
		ID:            newUUID(),
		Operation:     logical.RenewOperation,
		Path:          rel,
		Auth:          auth,
		Storage:       rt.view,
		MountPoint:    rt.entry.routePath(),
		MountType:     rt.entry.Type,
		MountAccessor: rt.entry.Accessor,
	})
	if err != nil {
		return nil, err
	}
	if resp == nil || resp.Auth == nil {
		return nil, logical.ErrPermissionDenied
	}
	return resp.Auth, nil
}

// destroyCubbyhole tells every engine that keeps per-token state that the
// token with this accessor is gone.
func (st *unsealed) destroyCubbyhole(ctx context.Context, accessor string) error {
	var errs []error
	for _, rt := range st.router.all() {
		if w, ok := rt.backend.(logical.TokenWatcher); ok {
			errs = append(errs, w.TokenRevoked(ctx, accessor))
		}
	}
	return errors.Join(errs...)
}

// HasSudo lets the token store apply Vault's sudo rules (no_parent, period,
// custom IDs, revoke-orphan) from the caller's ACL.
func (h tokenHooks) HasSudo(ctx context.Context, e *token.Entry, path string) bool {
	acl, err := h.st.policies.acl(ctx, e.Policies)
	if err != nil {
		return false
	}
	for _, c := range acl.Capabilities(path) {
		if c == "sudo" || c == "root" {
			return true
		}
	}
	return false
}
