package identity

import (
	"context"
	"slices"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

type mounts map[string]logical.MountInfo

func (m mounts) MountByAccessor(a string) (logical.MountInfo, bool) { mi, ok := m[a]; return mi, ok }

func newStore(t *testing.T) (*Backend, logical.Storage) {
	t.Helper()
	s := logical.NewInmemStorage()
	be, err := Factory(context.Background(), &logical.BackendConfig{Storage: s})
	if err != nil {
		t.Fatal(err)
	}
	b := be.(*Backend)
	b.SetMountLookup(mounts{"auth_userpass_1": {Accessor: "auth_userpass_1", Type: "userpass", Path: "auth/userpass/"}})
	return b, s
}

func write(t *testing.T, b *Backend, path string, data map[string]any) *logical.Response {
	t.Helper()
	resp, err := b.HandleRequest(context.Background(), &logical.Request{Operation: logical.UpdateOperation, Path: path, Data: data})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return resp
}

// TestNestedGroupPoliciesAndReload: a parent group's policies reach the
// members of its member groups; everything survives a reload from storage.
func TestNestedGroupPoliciesAndReload(t *testing.T) {
	ctx := context.Background()
	b, s := newStore(t)
	mount := logical.MountInfo{Accessor: "auth_userpass_1", Type: "userpass", Path: "auth/userpass/"}
	eid, err := b.ResolveAlias(ctx, mount, &logical.Alias{Name: "alice", Metadata: map[string]string{"k": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	inner := write(t, b, "group", map[string]any{"name": "inner", "policies": "p-inner", "member_entity_ids": eid}).Data["id"].(string)
	write(t, b, "group", map[string]any{"name": "outer", "policies": "p-outer", "member_group_ids": inner})
	if _, err := b.HandleRequest(ctx, &logical.Request{Operation: logical.UpdateOperation, Path: "group/id/" + inner,
		Data: map[string]any{"member_group_ids": write(t, b, "lookup/entity", map[string]any{"id": eid}).Data["group_ids"].([]string)[1]}}); err == nil {
		t.Fatal("a group cycle was accepted")
	}
	again, err := b.ResolveAlias(ctx, mount, &logical.Alias{Name: "alice", Metadata: map[string]string{"k": "2"}})
	if err != nil || again != eid {
		t.Fatalf("second resolve: %q %v", again, err)
	}

	reloaded, err := Factory(ctx, &logical.BackendConfig{Storage: s})
	if err != nil {
		t.Fatal(err)
	}
	ent, err := reloaded.(*Backend).EntityInfo(ctx, eid)
	if err != nil || ent == nil {
		t.Fatalf("entity after reload: %v %v", ent, err)
	}
	if !slices.Equal(ent.Policies, []string{"p-inner", "p-outer"}) {
		t.Fatalf("policies %v", ent.Policies)
	}
	if len(ent.Aliases) != 1 || ent.Aliases[0].Metadata["k"] != "2" {
		t.Fatalf("alias metadata not refreshed: %+v", ent.Aliases)
	}
}
