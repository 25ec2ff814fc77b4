package identity

import (
	"context"
	"slices"
	"strings"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

// Code entities and groups share: both are reached by id or by name, are
// written by id and/or name, and carry policies.

// namedOps are the handlers of one kind of object reached as KIND,
// KIND/id, KIND/name, KIND/id/ID and KIND/name/NAME.
type namedOps struct {
	write func(ctx context.Context, req *logical.Request, id, name string) (*logical.Response, error)
	list  func(byID bool) *logical.Response
	read  func(byID bool, key string) *logical.Response
	del   func(ctx context.Context, byID bool, key string) error
}

// routeNamed serves path (without its trailing slash) when it is one of
// kind's paths; matched is false when it is not.
func routeNamed(ctx context.Context, req *logical.Request, path, kind string, ops namedOps) (resp *logical.Response, matched bool, err error) {
	op := req.Operation
	write := op == logical.CreateOperation || op == logical.UpdateOperation
	idPrefix, namePrefix := kind+"/id/", kind+"/name/"
	switch {
	case path == kind && write:
		resp, err = ops.write(ctx, req, "", "")
		return resp, true, err
	case (path == kind+"/id" || path == kind+"/name") && op == logical.ListOperation:
		return ops.list(path == kind+"/id"), true, nil
	case strings.HasPrefix(path, idPrefix), strings.HasPrefix(path, namePrefix):
		byID := strings.HasPrefix(path, idPrefix)
		key := strings.TrimPrefix(strings.TrimPrefix(path, idPrefix), namePrefix)
		switch {
		case op == logical.ReadOperation:
			return ops.read(byID, key), true, nil
		case write && byID:
			resp, err = ops.write(ctx, req, key, "")
			return resp, true, err
		case write:
			resp, err = ops.write(ctx, req, "", key)
			return resp, true, err
		case op == logical.DeleteOperation:
			return nil, true, ops.del(ctx, byID, key)
		}
		return nil, true, logical.ErrUnsupportedOperation
	}
	return nil, false, nil
}

// writeTarget are the id and name a write names (the path's, else the
// fields'), and a copy of the object it updates: nil when it creates one.
// The caller holds b.mu for writing.
func writeTarget[T any](fd *logical.FieldData, pathID, pathName string, byID map[string]*T, byName func(string) *T, idOf func(*T) string, notFound, inUse string) (id, name string, cur *T, err error) {
	id = pathID
	if id == "" {
		id = fd.Get("id").(string)
	}
	name = pathName
	if name == "" {
		name = strings.TrimSpace(fd.Get("name").(string))
	}
	if id != "" {
		found, ok := byID[id]
		if !ok {
			return "", "", nil, logical.InvalidRequest("%s", notFound)
		}
		c := *found
		cur = &c
	}
	if name != "" {
		named := byName(name)
		switch {
		case named == nil:
		case cur == nil:
			c := *named
			cur = &c
		case idOf(cur) != idOf(named):
			return "", "", nil, logical.InvalidRequest("%s", inUse)
		}
	}
	return id, name, cur, nil
}

// policiesField is the policies field when given, sanitized; root is
// refused.
func policiesField(fd *logical.FieldData) (policies []string, given bool, err error) {
	v, ok, _ := fd.GetOk("policies")
	if !ok {
		return nil, false, nil
	}
	policies = tokenutil.SanitizePolicies(v.([]string), false)
	if slices.Contains(policies, "root") {
		return nil, true, logical.InvalidRequest("policies cannot contain root")
	}
	return policies, true, nil
}

// dropMember removes id from the member list (members picks it) of every
// group that has it, stored and in memory. The caller holds b.mu.
func (b *Backend) dropMember(ctx context.Context, id string, members func(*group) *[]string) error {
	for _, g := range b.groups {
		if !slices.Contains(*members(g), id) {
			continue
		}
		c := *g
		list := members(&c)
		*list = slices.DeleteFunc(slices.Clone(*list), func(m string) bool { return m == id })
		if err := b.put(ctx, groupPrefix+c.ID, &c); err != nil {
			return err
		}
		b.groups[c.ID] = &c
	}
	return nil
}

// listResponse is a LIST answer: nil when there are no keys.
func listResponse(keys []string, info map[string]any) *logical.Response {
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	return &logical.Response{Data: map[string]any{"keys": keys, "key_info": info}}
}
