package identity

import (
	"context"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

var entitySchema = map[string]*logical.FieldSchema{
	"id":       {Type: logical.TypeString},
	"name":     {Type: logical.TypeString},
	"metadata": {Type: logical.TypeStringMap},
	"policies": {Type: logical.TypeStringList},
	"disabled": {Type: logical.TypeBool},
}

// HandleRequest implements logical.Backend.
func (b *Backend) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	if err := b.ensureLoaded(ctx); err != nil {
		return nil, err
	}
	path := strings.TrimSuffix(req.Path, "/")
	op := req.Operation
	write := op == logical.CreateOperation || op == logical.UpdateOperation
	for _, k := range []struct {
		kind string
		ops  namedOps
	}{
		{"entity", namedOps{write: b.writeEntity, list: b.listEntities, read: b.readEntity, del: b.deleteEntity}},
		{"group", namedOps{write: b.writeGroup, list: b.listGroups, read: b.readGroup, del: b.deleteGroup}},
	} {
		if resp, ok, err := routeNamed(ctx, req, path, k.kind, k.ops); ok {
			return resp, err
		}
	}
	switch {
	case path == "entity-alias" && write:
		return b.writeAlias(ctx, req, "")
	case path == "entity-alias/id" && op == logical.ListOperation:
		return b.listAliases(), nil
	case strings.HasPrefix(path, "entity-alias/id/"):
		id := strings.TrimPrefix(path, "entity-alias/id/")
		switch {
		case op == logical.ReadOperation:
			return b.readAlias(id), nil
		case write:
			return b.writeAlias(ctx, req, id)
		case op == logical.DeleteOperation:
			return nil, b.deleteAlias(ctx, id)
		}
	case path == "lookup/entity" && write:
		return b.lookupEntity(req)
	default:
		return nil, logical.ErrUnsupportedPath
	}
	return nil, logical.ErrUnsupportedOperation
}

func fieldData(req *logical.Request, schema map[string]*logical.FieldSchema) (*logical.FieldData, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: schema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	return fd, nil
}

// writeEntity creates or updates an entity, found by id (path or field)
// or by name; an update answers 204, a creation the new id and name.
func (b *Backend) writeEntity(ctx context.Context, req *logical.Request, pathID, pathName string) (*logical.Response, error) {
	fd, err := fieldData(req, entitySchema)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	_, name, e, err := writeTarget(fd, pathID, pathName, b.entities, b.entityByName,
		func(e *entity) string { return e.ID }, "entity not found from id", "entity name is already in use")
	if err != nil {
		return nil, err
	}
	creating := e == nil
	now := b.system.Now()
	if creating {
		e = &entity{Metadata: map[string]string{}, Policies: []string{}, CreationTime: now}
		if e.ID, err = newID(); err != nil {
			return nil, err
		}
		if name == "" {
			name = "entity_" + e.ID[:8]
		}
	}
	if name != "" {
		e.Name = name
	}
	if ps, ok, err := policiesField(fd); err != nil {
		return nil, err
	} else if ok {
		e.Policies = ps
	}
	if v, ok, _ := fd.GetOk("disabled"); ok {
		e.Disabled = v.(bool)
	}
	if v, ok, _ := fd.GetOk("metadata"); ok {
		e.Metadata = v.(map[string]string)
	}
	e.LastUpdateTime = now
	if err := b.put(ctx, entityPrefix+e.ID, e); err != nil {
		return nil, err
	}
	b.setEntity(e)
	if !creating {
		return nil, nil
	}
	return &logical.Response{Data: map[string]any{"id": e.ID, "name": e.Name, "aliases": nil}}, nil
}

func (b *Backend) findEntity(byID bool, key string) *entity {
	if byID {
		return b.entities[key]
	}
	return b.entityByName(key)
}

func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func (b *Backend) readEntity(byID bool, key string) *logical.Response {
	b.mu.RLock()
	defer b.mu.RUnlock()
	e := b.findEntity(byID, key)
	if e == nil {
		return nil
	}
	return &logical.Response{Data: b.entityData(e)}
}

// entityData is an entity as a read reports it. The caller holds b.mu.
func (b *Backend) entityData(e *entity) map[string]any {
	aliases := []any{}
	for _, a := range b.aliasesOf(e.ID) {
		aliases = append(aliases, b.aliasData(a))
	}
	direct, inherited := b.groupsOf(e.ID)
	ids := func(gs []*group) []string {
		out := []string{}
		for _, g := range gs {
			out = append(out, g.ID)
		}
		return out
	}
	return map[string]any{
		"id": e.ID, "name": e.Name, "metadata": nonNilMap(e.Metadata), "policies": nonNilList(e.Policies),
		"disabled": e.Disabled, "creation_time": timeText(e.CreationTime), "last_update_time": timeText(e.LastUpdateTime),
		"aliases": aliases, "direct_group_ids": ids(direct), "inherited_group_ids": ids(inherited),
		"group_ids": append(ids(direct), ids(inherited)...), "merged_entity_ids": nil, "namespace_id": "root",
	}
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNilList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (b *Backend) listEntities(byID bool) *logical.Response {
	b.mu.RLock()
	defer b.mu.RUnlock()
	keys := []string{}
	info := map[string]any{}
	for _, e := range b.entities {
		k := e.Name
		if byID {
			k = e.ID
		}
		keys = append(keys, k)
		entry := map[string]any{"name": e.Name}
		if as := b.aliasesOf(e.ID); len(as) > 0 {
			list := []any{}
			for _, a := range as {
				list = append(list, map[string]any{"id": a.ID, "name": a.Name, "mount_accessor": a.MountAccessor, "mount_type": a.MountType, "mount_path": a.MountPath})
			}
			entry["aliases"] = list
		}
		info[k] = entry
	}
	return listResponse(keys, info)
}

// deleteEntity removes an entity, its aliases and its group memberships.
func (b *Backend) deleteEntity(ctx context.Context, byID bool, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.findEntity(byID, key)
	if e == nil {
		return nil
	}
	for _, a := range b.aliasesOf(e.ID) {
		if err := b.del(ctx, aliasPrefix+a.ID); err != nil {
			return err
		}
		b.dropAlias(a.ID)
	}
	if err := b.dropMember(ctx, e.ID, func(g *group) *[]string { return &g.MemberEntityIDs }); err != nil {
		return err
	}
	if err := b.del(ctx, entityPrefix+e.ID); err != nil {
		return err
	}
	b.dropEntity(e.ID)
	return nil
}

var lookupSchema = map[string]*logical.FieldSchema{
	"id":                   {Type: logical.TypeString},
	"name":                 {Type: logical.TypeString},
	"alias_id":             {Type: logical.TypeString},
	"alias_name":           {Type: logical.TypeString},
	"alias_mount_accessor": {Type: logical.TypeString},
}

// lookupEntity finds one entity by exactly one of id, name, alias_id or
// alias_name with alias_mount_accessor.
func (b *Backend) lookupEntity(req *logical.Request) (*logical.Response, error) {
	fd, err := fieldData(req, lookupSchema)
	if err != nil {
		return nil, err
	}
	given := map[string]string{}
	for k := range lookupSchema {
		if v := fd.Get(k).(string); v != "" {
			given[k] = v
		}
	}
	aliasName, aliasAcc := given["alias_name"], given["alias_mount_accessor"]
	if (aliasName == "") != (aliasAcc == "") {
		return nil, logical.InvalidRequest("both 'alias_name' and 'alias_mount_accessor' needs to be set")
	}
	n := len(given)
	if aliasName != "" {
		n--
	}
	switch {
	case n == 0:
		return nil, logical.InvalidRequest("query parameter not supplied")
	case n > 1:
		return nil, logical.InvalidRequest("query parameter conflict; please supply distinct set of query parameters")
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	var e *entity
	switch {
	case given["id"] != "":
		e = b.entities[given["id"]]
	case given["name"] != "":
		e = b.entityByName(given["name"])
	case given["alias_id"] != "":
		if a, ok := b.aliases[given["alias_id"]]; ok {
			e = b.entities[a.CanonicalID]
		}
	default:
		if a := b.aliasByKey(aliasAcc, aliasName); a != nil {
			e = b.entities[a.CanonicalID]
		}
	}
	if e == nil {
		return nil, nil
	}
	return &logical.Response{Data: b.entityData(e)}, nil
}
