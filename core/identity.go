package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"

	"github.com/vaultd/vaultd/auth/token"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/policy"
)

// Identity hooks. The identity store is an engine mounted at identity/
// (when the engine table has one); core asks it, through
// logical.IdentityResolver, for the entity of every login that names an
// alias and, at request time, for a token's entity and group policies.

const typeIdentity = "identity"

// ensureIdentityMount adds the identity/ mount to a table that lacks it
// (a new barrier, or one created before identity existed).
func (st *unsealed) ensureIdentityMount(ctx context.Context) error {
	if _, ok := st.c.conf.Engines[typeIdentity]; !ok {
		return nil
	}
	for _, e := range st.mounts {
		if e.Type == typeIdentity {
			return nil
		}
	}
	e, err := newMountEntry(tableMounts, "identity/", typeIdentity, "identity store")
	if err != nil {
		return err
	}
	mounts := append(slices.Clone(st.mounts), e)
	if err := saveTable(ctx, st.c.barrier, mountsKey, mounts); err != nil {
		return err
	}
	st.mounts = mounts
	return nil
}

// mountLookup resolves mount accessors for the identity store.
type mountLookup struct{ st *unsealed }

func (m mountLookup) MountByAccessor(accessor string) (logical.MountInfo, bool) {
	m.st.tableLock.Lock()
	defer m.st.tableLock.Unlock()
	for _, e := range append(slices.Clone(m.st.auths), m.st.mounts...) {
		if e.Accessor == accessor {
			return logical.MountInfo{Accessor: e.Accessor, Type: e.Type, Path: e.routePath()}, true
		}
	}
	return logical.MountInfo{}, false
}

// wireIdentity hands the identity store its mount lookup.
func (st *unsealed) wireIdentity() {
	rt, _ := st.router.match("identity/")
	if rt == nil || rt.entry.Type != typeIdentity {
		return
	}
	if s, ok := rt.backend.(interface{ SetMountLookup(logical.MountLookup) }); ok {
		s.SetMountLookup(mountLookup{st: st})
	}
}

// identityStore returns the mounted identity store, or nil.
func (st *unsealed) identityStore() logical.IdentityResolver {
	rt, _ := st.router.match("identity/")
	if rt == nil || rt.entry.Type != typeIdentity {
		return nil
	}
	r, _ := rt.backend.(logical.IdentityResolver)
	return r
}

// attachEntity finds (or creates) the entity of a login's alias and puts
// its ID on the token about to be minted. A disabled entity may not log in.
func (st *unsealed) attachEntity(ctx context.Context, cl *call, auth *logical.Auth) error {
	store := st.identityStore()
	if auth.Alias == nil || store == nil {
		return nil
	}
	e := cl.rt.entry
	id, err := store.ResolveAlias(ctx, logical.MountInfo{Accessor: e.Accessor, Type: e.Type, Path: e.routePath()}, auth.Alias)
	if err != nil {
		return fmt.Errorf("resolve identity alias: %w", err)
	}
	ent, err := store.EntityInfo(ctx, id)
	if err != nil {
		return err
	}
	if ent != nil && ent.Disabled {
		return logical.ErrPermissionDenied
	}
	auth.EntityID = id
	if ent != nil && len(ent.Policies) > 0 {
		auth.IdentityPolicies = slices.Clone(ent.Policies)
	}
	return nil
}

// addIdentityPolicies lists a login's identity policies among its
// policies, as Vault's login answer does.
func addIdentityPolicies(auth *logical.Auth) {
	if len(auth.IdentityPolicies) == 0 {
		return
	}
	all := append(slices.Clone(auth.Policies), auth.IdentityPolicies...)
	slices.Sort(all)
	auth.Policies = slices.Compact(all)
}

// entityOf returns the entity of a token, nil when it has none.
func (st *unsealed) entityOf(ctx context.Context, te *token.Entry) (*logical.Entity, error) {
	if te.EntityID == "" {
		return nil, nil
	}
	store := st.identityStore()
	if store == nil {
		return nil, nil
	}
	ent, err := store.EntityInfo(ctx, te.EntityID)
	if err != nil {
		return nil, err
	}
	if ent != nil && ent.Disabled {
		return nil, logical.ErrPermissionDenied
	}
	return ent, nil
}

// tokenACL is the ACL of a token: its own policies, its entity's and its
// groups' (not for root), with templated paths filled in for its entity.
func (st *unsealed) tokenACL(ctx context.Context, te *token.Entry) (*policy.ACL, error) {
	ent, err := st.entityOf(ctx, te)
	if err != nil {
		return nil, err
	}
	names := te.Policies
	if ent != nil && len(ent.Policies) > 0 && !te.IsRoot() {
		names = append(slices.Clone(te.Policies), ent.Policies...)
	}
	acl, err := st.policies.acl(ctx, names)
	if err != nil || ent == nil || !acl.Templated() {
		return acl, err
	}
	return st.policies.renderedACL(ctx, names, templateIdentity(ent))
}

// renderedACL compiles the named policies with their templates filled in
// for id. It is cached with the other ACLs under the names plus a key
// naming the identity's values (a name no policy can have, for it holds
// a "/"): a policy change drops it as usual, and a changed entity simply
// gets a new key while the old entry ages out.
func (ps *policyStore) renderedACL(ctx context.Context, names []string, id *policy.Identity) (*policy.ACL, error) {
	key := identityKey(id)
	return ps.cache.Get(append(slices.Clone(names), key), func(name string) (*policy.Policy, error) {
		if name == key {
			return nil, nil
		}
		p, err := ps.get(ctx, name)
		if err != nil || p == nil {
			return nil, err
		}
		return p.Render(id), nil
	})
}

// identityKey is a digest of every value a template may read.
func identityKey(id *policy.Identity) string {
	h := sha256.New()
	field := func(s string) {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	strMap := func(m map[string]string) {
		keys := slices.Sorted(maps.Keys(m))
		field(fmt.Sprint(len(keys)))
		for _, k := range keys {
			field(k)
			field(m[k])
		}
	}
	field(id.EntityID)
	field(id.EntityName)
	strMap(id.EntityMetadata)
	accs := slices.Sorted(maps.Keys(id.Aliases))
	field(fmt.Sprint(len(accs)))
	for _, acc := range accs {
		a := id.Aliases[acc]
		field(acc)
		field(a.ID)
		field(a.Name)
		strMap(a.Metadata)
	}
	strMap(id.Groups)
	return "identity/" + hex.EncodeToString(h.Sum(nil))
}

func templateIdentity(ent *logical.Entity) *policy.Identity {
	id := &policy.Identity{
		EntityID: ent.ID, EntityName: ent.Name, EntityMetadata: ent.Metadata,
		Aliases: map[string]policy.IdentityAlias{}, Groups: map[string]string{},
	}
	for _, a := range ent.Aliases {
		id.Aliases[a.MountAccessor] = policy.IdentityAlias{ID: a.ID, Name: a.Name, Metadata: a.Metadata}
	}
	for i, g := range ent.GroupIDs {
		id.Groups[g] = ent.GroupNames[i]
	}
	return id
}

// IdentityPolicies lets token lookups report a token's identity policies.
func (h tokenHooks) IdentityPolicies(ctx context.Context, entityID string) []string {
	store := h.st.identityStore()
	if store == nil {
		return nil
	}
	ent, err := store.EntityInfo(ctx, entityID)
	if err != nil || ent == nil {
		return nil
	}
	return ent.Policies
}

// forgetMountAliases drops the identity aliases of an auth mount being
// disabled, as Vault does; the entities stay.
func (st *unsealed) forgetMountAliases(ctx context.Context, e *MountEntry) error {
	if e.Table != tableAuth {
		return nil
	}
	rt, _ := st.router.match("identity/")
	if rt == nil || rt.entry.Type != typeIdentity {
		return nil
	}
	if f, ok := rt.backend.(interface {
		DeleteMountAliases(ctx context.Context, accessor string) error
	}); ok {
		if err := f.DeleteMountAliases(ctx, e.Accessor); err != nil {
			return fmt.Errorf("delete identity aliases of %s: %w", e.routePath(), err)
		}
	}
	return nil
}
