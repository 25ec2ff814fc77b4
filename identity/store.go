package identity

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// MountType is the engine's type name.
const MountType = "identity"

// Storage prefixes in the mount's view.
const (
	entityPrefix = "entity/"
	aliasPrefix  = "alias/"
	groupPrefix  = "group/"
)

type entity struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Metadata       map[string]string `json:"metadata"`
	Policies       []string          `json:"policies"`
	Disabled       bool              `json:"disabled"`
	CreationTime   time.Time         `json:"creation_time"`
	LastUpdateTime time.Time         `json:"last_update_time"`
}

type alias struct {
	ID             string            `json:"id"`
	CanonicalID    string            `json:"canonical_id"`
	MountAccessor  string            `json:"mount_accessor"`
	MountType      string            `json:"mount_type"`
	MountPath      string            `json:"mount_path"`
	Name           string            `json:"name"`
	Metadata       map[string]string `json:"metadata"`
	CustomMetadata map[string]string `json:"custom_metadata"`
	CreationTime   time.Time         `json:"creation_time"`
	LastUpdateTime time.Time         `json:"last_update_time"`
}

type group struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	Type            string            `json:"type"`
	Policies        []string          `json:"policies"`
	MemberEntityIDs []string          `json:"member_entity_ids"`
	MemberGroupIDs  []string          `json:"member_group_ids"`
	Metadata        map[string]string `json:"metadata"`
	CreationTime    time.Time         `json:"creation_time"`
	LastUpdateTime  time.Time         `json:"last_update_time"`
	ModifyIndex     int64             `json:"modify_index"`
}

// Backend is the identity store. Everything is held in memory, loaded from
// the mount's storage on first use and written through on every change.
type Backend struct {
	storage logical.Storage
	system  logical.SystemView
	logger  *slog.Logger

	mountsMu sync.RWMutex
	mounts   logical.MountLookup

	mu       sync.RWMutex
	loaded   bool
	entities map[string]*entity
	aliases  map[string]*alias
	groups   map[string]*group
	// Indexes, kept by setEntity, dropEntity, setAlias and dropAlias:
	// lower-cased entity name → ID, mount accessor and alias name → alias
	// ID, entity ID → its alias IDs.
	byName     map[string]string
	byAliasKey map[string]string
	byEntity   map[string][]string
}

func aliasKey(accessor, name string) string { return accessor + "\x00" + name }

// setEntity stores e in the maps. The caller holds b.mu for writing.
func (b *Backend) setEntity(e *entity) {
	if old, ok := b.entities[e.ID]; ok {
		delete(b.byName, strings.ToLower(old.Name))
	}
	b.entities[e.ID] = e
	b.byName[strings.ToLower(e.Name)] = e.ID
}

func (b *Backend) dropEntity(id string) {
	if old, ok := b.entities[id]; ok {
		delete(b.byName, strings.ToLower(old.Name))
	}
	delete(b.entities, id)
}

// setAlias stores a in the maps. The caller holds b.mu for writing.
func (b *Backend) setAlias(a *alias) {
	b.dropAlias(a.ID)
	b.aliases[a.ID] = a
	b.byAliasKey[aliasKey(a.MountAccessor, a.Name)] = a.ID
	b.byEntity[a.CanonicalID] = append(b.byEntity[a.CanonicalID], a.ID)
}

func (b *Backend) dropAlias(id string) {
	old, ok := b.aliases[id]
	if !ok {
		return
	}
	delete(b.aliases, id)
	delete(b.byAliasKey, aliasKey(old.MountAccessor, old.Name))
	ids := slices.DeleteFunc(slices.Clone(b.byEntity[old.CanonicalID]), func(x string) bool { return x == id })
	if len(ids) == 0 {
		delete(b.byEntity, old.CanonicalID)
	} else {
		b.byEntity[old.CanonicalID] = ids
	}
}

var (
	_ logical.Backend          = (*Backend)(nil)
	_ logical.IdentityResolver = (*Backend)(nil)
)

// Factory builds the identity store; core mounts it at identity/.
func Factory(_ context.Context, conf *logical.BackendConfig) (logical.Backend, error) {
	if conf == nil || conf.Storage == nil {
		return nil, errors.New("identity: no storage")
	}
	system := conf.SystemOrStatic()
	b := &Backend{storage: conf.Storage, system: system, logger: conf.LoggerOrDiscard()}
	if ml, ok := system.(logical.MountLookup); ok {
		b.mounts = ml
	}
	return b, nil
}

// SetMountLookup tells the store how to resolve mount accessors.
func (b *Backend) SetMountLookup(m logical.MountLookup) {
	b.mountsMu.Lock()
	defer b.mountsMu.Unlock()
	b.mounts = m
}

func (b *Backend) mountByAccessor(acc string) (logical.MountInfo, bool) {
	b.mountsMu.RLock()
	defer b.mountsMu.RUnlock()
	if b.mounts == nil {
		return logical.MountInfo{}, false
	}
	return b.mounts.MountByAccessor(acc)
}

// SpecialPaths implements logical.Backend.
func (b *Backend) SpecialPaths() logical.SpecialPaths { return logical.SpecialPaths{} }

// ExistenceCheck implements logical.Backend: writes are updates.
func (b *Backend) ExistenceCheck(context.Context, *logical.Request) (bool, bool, error) {
	return false, false, nil
}

// load reads every entry the first time. The caller holds b.mu for writing.
func (b *Backend) load(ctx context.Context) error {
	if b.loaded {
		return nil
	}
	entities, aliases, groups := map[string]*entity{}, map[string]*alias{}, map[string]*group{}
	if err := loadAll(ctx, b.storage, entityPrefix, entities); err != nil {
		return err
	}
	if err := loadAll(ctx, b.storage, aliasPrefix, aliases); err != nil {
		return err
	}
	if err := loadAll(ctx, b.storage, groupPrefix, groups); err != nil {
		return err
	}
	b.entities, b.aliases, b.groups = map[string]*entity{}, map[string]*alias{}, groups
	b.byName, b.byAliasKey, b.byEntity = map[string]string{}, map[string]string{}, map[string][]string{}
	for _, e := range entities {
		b.setEntity(e)
	}
	for _, a := range aliases {
		b.setAlias(a)
	}
	b.loaded = true
	return nil
}

func loadAll[T any](ctx context.Context, s logical.Storage, prefix string, into map[string]*T) error {
	keys, err := s.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("identity: list %s: %w", prefix, err)
	}
	for _, k := range keys {
		e, err := s.Get(ctx, prefix+k)
		if err != nil {
			return fmt.Errorf("identity: read %s%s: %w", prefix, k, err)
		}
		if e == nil {
			continue
		}
		v := new(T)
		if err := json.Unmarshal(e.Value, v); err != nil {
			return fmt.Errorf("identity: decode %s%s: %w", prefix, k, err)
		}
		into[k] = v
	}
	return nil
}

// ensureLoaded loads the store if needed.
func (b *Backend) ensureLoaded(ctx context.Context) error {
	b.mu.RLock()
	loaded := b.loaded
	b.mu.RUnlock()
	if loaded {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.load(ctx)
}

func (b *Backend) put(ctx context.Context, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("identity: encode %s: %w", key, err)
	}
	if err := b.storage.Put(ctx, &logical.StorageEntry{Key: key, Value: raw}); err != nil {
		return fmt.Errorf("identity: write %s: %w", key, err)
	}
	return nil
}

func (b *Backend) del(ctx context.Context, key string) error {
	if err := b.storage.Delete(ctx, key); err != nil {
		return fmt.Errorf("identity: delete %s: %w", key, err)
	}
	return nil
}

func newID() (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// entityByName, aliasByKey and aliasesOf use the indexes; groupByName
// scans (groups are few). The caller holds b.mu.
func (b *Backend) entityByName(name string) *entity {
	return b.entities[b.byName[strings.ToLower(name)]]
}

func (b *Backend) aliasByKey(accessor, name string) *alias {
	return b.aliases[b.byAliasKey[aliasKey(accessor, name)]]
}

func (b *Backend) aliasesOf(entityID string) []*alias {
	var out []*alias
	for _, id := range b.byEntity[entityID] {
		if a, ok := b.aliases[id]; ok {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y *alias) int { return strings.Compare(x.ID, y.ID) })
	return out
}

func (b *Backend) groupByName(name string) *group {
	for _, g := range b.groups {
		if strings.EqualFold(g.Name, name) {
			return g
		}
	}
	return nil
}

// groupsOf returns the groups an entity belongs to directly, and those it
// inherits through groups that are members of other groups.
func (b *Backend) groupsOf(entityID string) (direct, inherited []*group) {
	seen := map[string]bool{}
	for _, g := range b.groups {
		if slices.Contains(g.MemberEntityIDs, entityID) {
			direct = append(direct, g)
			seen[g.ID] = true
		}
	}
	queue := slices.Clone(direct)
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		for _, p := range b.groups {
			if !seen[p.ID] && slices.Contains(p.MemberGroupIDs, g.ID) {
				seen[p.ID] = true
				inherited = append(inherited, p)
				queue = append(queue, p)
			}
		}
	}
	byID := func(x, y *group) int { return strings.Compare(x.ID, y.ID) }
	slices.SortFunc(direct, byID)
	slices.SortFunc(inherited, byID)
	return direct, inherited
}

// ResolveAlias implements logical.IdentityResolver: the entity of the
// mount's alias, created with a new entity on first sight. Alias metadata
// is refreshed from the login.
func (b *Backend) ResolveAlias(ctx context.Context, mount logical.MountInfo, in *logical.Alias) (string, error) {
	if in == nil || in.Name == "" || mount.Accessor == "" {
		return "", errors.New("identity: alias without name or mount")
	}
	if err := b.ensureLoaded(ctx); err != nil {
		return "", err
	}
	// The common case, a known alias with the same metadata, under the
	// read lock only.
	b.mu.RLock()
	if a := b.aliasByKey(mount.Accessor, in.Name); a != nil && (in.Metadata == nil || maps.Equal(a.Metadata, in.Metadata)) {
		if _, ok := b.entities[a.CanonicalID]; ok {
			b.mu.RUnlock()
			return a.CanonicalID, nil
		}
	}
	b.mu.RUnlock()

	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.system.Now()
	if a := b.aliasByKey(mount.Accessor, in.Name); a != nil {
		if _, ok := b.entities[a.CanonicalID]; ok {
			if in.Metadata != nil && !maps.Equal(a.Metadata, in.Metadata) {
				c := *a
				c.Metadata, c.LastUpdateTime = maps.Clone(in.Metadata), now
				if err := b.put(ctx, aliasPrefix+c.ID, &c); err != nil {
					return "", err
				}
				b.setAlias(&c)
			}
			return a.CanonicalID, nil
		}
	}
	eid, err := newID()
	if err != nil {
		return "", err
	}
	aid, err := newID()
	if err != nil {
		return "", err
	}
	e := &entity{ID: eid, Name: "entity_" + eid[:8], Metadata: map[string]string{}, Policies: []string{}, CreationTime: now, LastUpdateTime: now}
	a := &alias{
		ID: aid, CanonicalID: eid, MountAccessor: mount.Accessor, MountType: mount.Type, MountPath: mount.Path,
		Name: in.Name, Metadata: maps.Clone(in.Metadata), CreationTime: now, LastUpdateTime: now,
	}
	if err := b.put(ctx, entityPrefix+eid, e); err != nil {
		return "", err
	}
	if err := b.put(ctx, aliasPrefix+aid, a); err != nil {
		return "", err
	}
	b.setEntity(e)
	b.setAlias(a)
	b.logger.Debug("entity created for a login", "entity_id", eid, "mount_accessor", mount.Accessor)
	return eid, nil
}

// EntityInfo implements logical.IdentityResolver.
func (b *Backend) EntityInfo(ctx context.Context, id string) (*logical.Entity, error) {
	if err := b.ensureLoaded(ctx); err != nil {
		return nil, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	e, ok := b.entities[id]
	if !ok {
		return nil, nil
	}
	out := &logical.Entity{ID: e.ID, Name: e.Name, Metadata: maps.Clone(e.Metadata), Disabled: e.Disabled}
	for _, a := range b.aliasesOf(id) {
		out.Aliases = append(out.Aliases, logical.EntityAlias{ID: a.ID, Name: a.Name, MountAccessor: a.MountAccessor, Metadata: maps.Clone(a.Metadata)})
	}
	policies := slices.Clone(e.Policies)
	direct, inherited := b.groupsOf(id)
	for _, g := range append(direct, inherited...) {
		policies = append(policies, g.Policies...)
		out.GroupIDs = append(out.GroupIDs, g.ID)
		out.GroupNames = append(out.GroupNames, g.Name)
	}
	slices.Sort(policies)
	out.Policies = slices.Compact(policies)
	return out, nil
}
