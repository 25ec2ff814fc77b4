package identity

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// TestNamedPathsEntityAndGroup: entities and groups answer the same id and
// name paths the same way; deleting either drops it from groups' members.
func TestNamedPathsEntityAndGroup(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"entity", "group"} {
		t.Run(kind, func(t *testing.T) {
			b, _ := newStore(t)
			do := func(op logical.Operation, path string, data map[string]any) (*logical.Response, error) {
				return b.HandleRequest(ctx, &logical.Request{Operation: op, Path: path, Data: data})
			}
			created := write(t, b, kind, map[string]any{"name": "one", "policies": "b,a"})
			id := created.Data["id"].(string)
			if created.Data["name"] != "one" {
				t.Fatalf("create answered %v", created.Data)
			}
			if resp := write(t, b, kind+"/name/one", map[string]any{"policies": "c"}); resp != nil {
				t.Fatalf("update by name answered %v", resp.Data)
			}
			for _, p := range []string{kind + "/id/" + id, kind + "/name/ONE"} {
				resp, err := do(logical.ReadOperation, p, nil)
				if err != nil || resp == nil || resp.Data["id"] != id || !slices.Equal(resp.Data["policies"].([]string), []string{"c"}) {
					t.Fatalf("read %s: %v %v", p, resp, err)
				}
			}
			other := write(t, b, kind, map[string]any{"name": "two"}).Data["id"].(string)
			for _, byID := range []bool{true, false} {
				p, want := kind+"/name", []string{"one", "two"}
				if byID {
					p, want = kind+"/id", []string{id, other}
					slices.Sort(want)
				}
				resp, err := do(logical.ListOperation, p, nil)
				if err != nil || !slices.Equal(resp.Data["keys"].([]string), want) {
					t.Fatalf("list %s: %v %v", p, resp, err)
				}
			}
			bad := []struct {
				path string
				data map[string]any
				want string
			}{
				{kind + "/id/nope", map[string]any{"policies": "x"}, map[string]string{"entity": "entity not found from id", "group": "invalid group ID"}[kind]},
				{kind + "/id/" + other, map[string]any{"name": "one"}, kind + " name is already in use"},
				{kind, map[string]any{"name": "one", "policies": "root"}, "policies cannot contain root"},
			}
			for _, c := range bad {
				if _, err := do(logical.UpdateOperation, c.path, c.data); err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("%s %v: error %v, want %q", c.path, c.data, err, c.want)
				}
			}
			if _, err := do(logical.ListOperation, kind+"/id/"+id, nil); !errors.Is(err, logical.ErrUnsupportedOperation) {
				t.Fatalf("list on an item: %v", err)
			}
			if _, err := do(logical.ReadOperation, kind, nil); !errors.Is(err, logical.ErrUnsupportedPath) {
				t.Fatalf("read on %s: %v", kind, err)
			}

			members := "member_entity_ids"
			if kind == "group" {
				members = "member_group_ids"
			}
			parent := write(t, b, "group", map[string]any{"name": "parent", members: id}).Data["id"].(string)
			if _, err := do(logical.DeleteOperation, kind+"/name/one", nil); err != nil {
				t.Fatal(err)
			}
			if resp, _ := do(logical.ReadOperation, kind+"/id/"+id, nil); resp != nil {
				t.Fatalf("read after delete: %v", resp.Data)
			}
			resp, err := do(logical.ReadOperation, "group/id/"+parent, nil)
			if err != nil || len(resp.Data[members].([]string)) != 0 {
				t.Fatalf("parent after delete: %v %v", resp, err)
			}
		})
	}
}
