package identity

import (
	"context"
	"slices"

	"github.com/vaultd/vaultd/logical"
)

var aliasSchema = map[string]*logical.FieldSchema{
	"id":              {Type: logical.TypeString},
	"name":            {Type: logical.TypeString},
	"mount_accessor":  {Type: logical.TypeString},
	"canonical_id":    {Type: logical.TypeString},
	"custom_metadata": {Type: logical.TypeStringMap},
}

// aliasData is an alias as a read reports it.
func (b *Backend) aliasData(a *alias) map[string]any {
	return map[string]any{
		"id": a.ID, "canonical_id": a.CanonicalID, "mount_accessor": a.MountAccessor,
		"mount_type": a.MountType, "mount_path": a.MountPath, "name": a.Name,
		"metadata": nonNilMap(a.Metadata), "custom_metadata": nonNilMap(a.CustomMetadata),
		"creation_time": timeText(a.CreationTime), "last_update_time": timeText(a.LastUpdateTime),
		"local": false, "merged_from_canonical_ids": nil, "namespace_id": "root",
	}
}

// writeAlias creates an alias (for canonical_id, or a new entity) or
// updates one by id. The mount accessor must name an auth mount; an alias
// of the same mount and name, or a second alias of an entity on the same
// mount, is refused.
func (b *Backend) writeAlias(ctx context.Context, req *logical.Request, pathID string) (*logical.Response, error) {
	fd, err := fieldData(req, aliasSchema)
	if err != nil {
		return nil, err
	}
	id := pathID
	if id == "" {
		id = fd.Get("id").(string)
	}
	name := fd.Get("name").(string)
	accessor := fd.Get("mount_accessor").(string)
	canonical := fd.Get("canonical_id").(string)

	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.system.Now()
	var a *alias
	if id != "" {
		cur, ok := b.aliases[id]
		if !ok {
			return nil, logical.InvalidRequest("invalid alias ID provided")
		}
		c := *cur
		a = &c
	} else {
		if name == "" || accessor == "" {
			return nil, logical.InvalidRequest("'id' or 'mount_accessor' and 'name' must be provided")
		}
		a = &alias{CreationTime: now}
	}
	if name != "" {
		a.Name = name
	}
	if accessor != "" {
		mount, ok := b.mountByAccessor(accessor)
		if !ok {
			return nil, logical.InvalidRequest("invalid mount accessor %q", accessor)
		}
		a.MountAccessor, a.MountType, a.MountPath = mount.Accessor, mount.Type, mount.Path
	}
	if other := b.aliasByKey(a.MountAccessor, a.Name); other != nil && other.ID != a.ID {
		return nil, logical.InvalidRequest("alias with combination of mount accessor and name already exists")
	}
	if v, ok, _ := fd.GetOk("custom_metadata"); ok {
		a.CustomMetadata = v.(map[string]string)
	}
	var newEntity *entity
	switch {
	case canonical != "":
		if _, ok := b.entities[canonical]; !ok {
			return nil, logical.InvalidRequest("invalid canonical ID")
		}
		a.CanonicalID = canonical
	case a.CanonicalID == "":
		eid, err := newID()
		if err != nil {
			return nil, err
		}
		newEntity = &entity{ID: eid, Name: "entity_" + eid[:8], Metadata: map[string]string{}, Policies: []string{}, CreationTime: now, LastUpdateTime: now}
		a.CanonicalID = eid
	}
	if slices.ContainsFunc(b.aliasesOf(a.CanonicalID), func(o *alias) bool { return o.ID != a.ID && o.MountAccessor == a.MountAccessor }) {
		return nil, logical.InvalidRequest("Alias already exists for requested entity and mount accessor")
	}
	creating := a.ID == ""
	if creating {
		if a.ID, err = newID(); err != nil {
			return nil, err
		}
	}
	a.LastUpdateTime = now
	if newEntity != nil {
		if err := b.put(ctx, entityPrefix+newEntity.ID, newEntity); err != nil {
			return nil, err
		}
		b.setEntity(newEntity)
	}
	if err := b.put(ctx, aliasPrefix+a.ID, a); err != nil {
		return nil, err
	}
	b.setAlias(a)
	return &logical.Response{Data: map[string]any{"id": a.ID, "canonical_id": a.CanonicalID}}, nil
}

func (b *Backend) readAlias(id string) *logical.Response {
	b.mu.RLock()
	defer b.mu.RUnlock()
	a, ok := b.aliases[id]
	if !ok {
		return nil
	}
	return &logical.Response{Data: b.aliasData(a)}
}

func (b *Backend) listAliases() *logical.Response {
	b.mu.RLock()
	defer b.mu.RUnlock()
	keys := []string{}
	info := map[string]any{}
	for _, a := range b.aliases {
		keys = append(keys, a.ID)
		info[a.ID] = map[string]any{"name": a.Name, "canonical_id": a.CanonicalID, "mount_accessor": a.MountAccessor, "mount_type": a.MountType, "mount_path": a.MountPath}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	return &logical.Response{Data: map[string]any{"keys": keys, "key_info": info}}
}

func (b *Backend) deleteAlias(ctx context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.aliases[id]; !ok {
		return nil
	}
	if err := b.del(ctx, aliasPrefix+id); err != nil {
		return err
	}
	b.dropAlias(id)
	return nil
}

// DeleteMountAliases deletes every alias of a mount; core calls it when the
// auth mount is disabled. The entities stay.
func (b *Backend) DeleteMountAliases(ctx context.Context, accessor string) error {
	if err := b.ensureLoaded(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, a := range b.aliases {
		if a.MountAccessor != accessor {
			continue
		}
		if err := b.del(ctx, aliasPrefix+id); err != nil {
			return err
		}
		b.dropAlias(id)
	}
	return nil
}
