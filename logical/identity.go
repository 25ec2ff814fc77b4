package logical

import "context"

// Alias is an auth method's name for a caller: a service account's UID, an
// AppRole role ID, a userpass user. With the mount it came through, it
// finds the caller's identity entity.
type Alias struct {
	// Name is the caller's name in the auth method.
	Name string
	// Metadata is kept on the alias and offered to policy templates.
	Metadata map[string]string
}

// MountInfo describes one mount, as identity needs to know it.
type MountInfo struct {
	Accessor string
	Type     string
	Path     string
}

// MountLookup is implemented by the SystemView core hands the identity
// engine: it resolves a mount accessor.
type MountLookup interface {
	MountByAccessor(accessor string) (MountInfo, bool)
}

// EntityAlias is one alias of an entity, for policy templates.
type EntityAlias struct {
	ID            string
	Name          string
	MountAccessor string
	Metadata      map[string]string
}

// Entity is what core needs to know of a token's entity at request time.
type Entity struct {
	ID       string
	Name     string
	Metadata map[string]string
	Disabled bool
	Aliases  []EntityAlias
	// Policies are the entity's own policies and those of every group it
	// belongs to, directly or through parent groups.
	Policies []string
	// GroupIDs and GroupNames are the groups it belongs to.
	GroupIDs   []string
	GroupNames []string
}

// IdentityResolver is implemented by the identity engine; core asks it,
// through this interface, for the entity of a login and of a token.
type IdentityResolver interface {
	// ResolveAlias finds the entity of an alias of the mount, creating the
	// alias and a new entity the first time, and returns the entity's ID.
	ResolveAlias(ctx context.Context, mount MountInfo, alias *Alias) (string, error)
	// EntityInfo returns an entity with its group policies, or nil when
	// there is none with that ID.
	EntityInfo(ctx context.Context, id string) (*Entity, error)
}
