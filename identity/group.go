package identity

import (
	"context"
	"slices"
	"strings"

	"github.com/vaultd/vaultd/logical"
)

var groupSchema = map[string]*logical.FieldSchema{
	"id":                {Type: logical.TypeString},
	"name":              {Type: logical.TypeString},
	"type":              {Type: logical.TypeString},
	"policies":          {Type: logical.TypeStringList},
	"member_entity_ids": {Type: logical.TypeStringList},
	"member_group_ids":  {Type: logical.TypeStringList},
	"metadata":          {Type: logical.TypeStringMap},
}

// writeGroup creates or updates an internal group. Members must exist;
// a group may not contain itself, directly or through its members.
func (b *Backend) writeGroup(ctx context.Context, req *logical.Request, pathID, pathName string) (*logical.Response, error) {
	fd, err := fieldData(req, groupSchema)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	_, name, g, err := writeTarget(fd, pathID, pathName, b.groups, b.groupByName,
		func(g *group) string { return g.ID }, "invalid group ID", "group name is already in use")
	if err != nil {
		return nil, err
	}
	now := b.system.Now()
	creating := g == nil
	if creating {
		g = &group{Type: "internal", Policies: []string{}, MemberEntityIDs: []string{}, MemberGroupIDs: []string{}, Metadata: map[string]string{}, CreationTime: now}
		if g.ID, err = newID(); err != nil {
			return nil, err
		}
		if name == "" {
			name = "group_" + g.ID[:8]
		}
	}
	if name != "" {
		g.Name = name
	}
	if v, ok, _ := fd.GetOk("type"); ok {
		t := strings.ToLower(v.(string))
		switch {
		case t == "" || t == g.Type:
		case !creating:
			return nil, logical.InvalidRequest("group type cannot be changed")
		case t == "external":
			return nil, logical.InvalidRequest("external groups are not supported by vaultd")
		default:
			return nil, logical.InvalidRequest("invalid group type %q", t)
		}
	}
	if ps, ok, err := policiesField(fd); err != nil {
		return nil, err
	} else if ok {
		g.Policies = ps
	}
	if v, ok, _ := fd.GetOk("metadata"); ok {
		g.Metadata = v.(map[string]string)
	}
	if v, ok, _ := fd.GetOk("member_entity_ids"); ok {
		ids := dedupe(v.([]string))
		for _, eid := range ids {
			if _, ok := b.entities[eid]; !ok {
				return nil, logical.InvalidRequest("entity %q does not exist", eid)
			}
		}
		g.MemberEntityIDs = ids
	}
	if v, ok, _ := fd.GetOk("member_group_ids"); ok {
		ids := dedupe(v.([]string))
		for _, gid := range ids {
			if _, ok := b.groups[gid]; !ok {
				return nil, logical.InvalidRequest("group %q does not exist", gid)
			}
			if gid == g.ID || b.contains(gid, g.ID) {
				return nil, logical.InvalidRequest("member group ID %q is creating a cycle", gid)
			}
		}
		g.MemberGroupIDs = ids
	}
	g.LastUpdateTime = now
	g.ModifyIndex++
	if err := b.put(ctx, groupPrefix+g.ID, g); err != nil {
		return nil, err
	}
	b.groups[g.ID] = g
	if !creating {
		return nil, nil
	}
	return &logical.Response{Data: map[string]any{"id": g.ID, "name": g.Name}}, nil
}

// contains reports whether group outer holds group inner, at any depth.
func (b *Backend) contains(outer, inner string) bool {
	seen := map[string]bool{}
	stack := []string{outer}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[id] {
			continue
		}
		seen[id] = true
		g, ok := b.groups[id]
		if !ok {
			continue
		}
		for _, m := range g.MemberGroupIDs {
			if m == inner {
				return true
			}
			stack = append(stack, m)
		}
	}
	return false
}

func dedupe(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

func (b *Backend) findGroup(byID bool, key string) *group {
	if byID {
		return b.groups[key]
	}
	return b.groupByName(key)
}

func (b *Backend) readGroup(byID bool, key string) *logical.Response {
	b.mu.RLock()
	defer b.mu.RUnlock()
	g := b.findGroup(byID, key)
	if g == nil {
		return nil
	}
	parents := []string{}
	for _, p := range b.groups {
		if slices.Contains(p.MemberGroupIDs, g.ID) {
			parents = append(parents, p.ID)
		}
	}
	slices.Sort(parents)
	return &logical.Response{Data: map[string]any{
		"id": g.ID, "name": g.Name, "type": g.Type, "policies": nonNilList(g.Policies),
		"member_entity_ids": nonNilList(g.MemberEntityIDs), "member_group_ids": nonNilList(g.MemberGroupIDs),
		"parent_group_ids": parents, "metadata": nonNilMap(g.Metadata),
		"creation_time": timeText(g.CreationTime), "last_update_time": timeText(g.LastUpdateTime),
		"modify_index": g.ModifyIndex, "alias": map[string]any{}, "namespace_id": "root",
	}}
}

func (b *Backend) listGroups(byID bool) *logical.Response {
	b.mu.RLock()
	defer b.mu.RUnlock()
	keys := []string{}
	info := map[string]any{}
	for _, g := range b.groups {
		k := g.Name
		if byID {
			k = g.ID
		}
		keys = append(keys, k)
		info[k] = map[string]any{"name": g.Name, "num_member_entities": len(g.MemberEntityIDs), "num_parent_groups": 0}
	}
	return listResponse(keys, info)
}

// deleteGroup removes a group and drops it from other groups' members.
func (b *Backend) deleteGroup(ctx context.Context, byID bool, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	g := b.findGroup(byID, key)
	if g == nil {
		return nil
	}
	if err := b.dropMember(ctx, g.ID, func(p *group) *[]string { return &p.MemberGroupIDs }); err != nil {
		return err
	}
	if err := b.del(ctx, groupPrefix+g.ID); err != nil {
		return err
	}
	delete(b.groups, g.ID)
	return nil
}
