package token

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func TestBadInputsAre400AndStoreNothing(t *testing.T) {
	e := newEnv(t)
	e.mustDo(logical.UpdateOperation, "roles/r", e.root.ID, map[string]any{"allowed_policies": "a", "disallowed_policies": "bad"})
	user := e.create("create", e.root.ID, map[string]any{"policies": "a,b", "ttl": "1h"})
	tests := []struct {
		name   string
		path   string
		caller string
		data   map[string]any
		want   string
	}{
		{"negative ttl", "create", "root", map[string]any{"ttl": "-5s"}, `field "ttl"`},
		{"banana ttl", "create", "root", map[string]any{"ttl": "banana"}, `field "ttl"`},
		{"bad explicit max", "create", "root", map[string]any{"explicit_max_ttl": "soon"}, `field "explicit_max_ttl"`},
		{"bad period", "create", "root", map[string]any{"period": "-1h"}, `field "period"`},
		{"num_uses not a number", "create", "root", map[string]any{"num_uses": "many"}, `field "num_uses"`},
		{"negative num_uses", "create", "root", map[string]any{"num_uses": -1}, "number of uses cannot be negative"},
		{"renewable not a bool", "create", "root", map[string]any{"renewable": "maybe"}, `field "renewable"`},
		{"meta not a map", "create", "root", map[string]any{"meta": []any{1}}, `field "meta"`},
		{"policies not strings", "create", "root", map[string]any{"policies": []any{map[string]any{}}}, `field "policies"`},
		{"batch with uses", "create", "root", map[string]any{"type": "batch", "num_uses": 2}, `batch tokens cannot have "num_uses" set`},
		{"batch periodic", "create", "root", map[string]any{"type": "batch", "period": "1h"}, `batch tokens cannot have "period" set`},
		{"batch root", "create", "root", map[string]any{"type": "batch", "policies": "root"}, "batch tokens cannot be root tokens"},
		{"batch custom id", "create", "root", map[string]any{"type": "batch", "id": "mine", "policies": "a"}, "custom IDs are not allowed for batch tokens"},
		{"unknown type", "create", "root", map[string]any{"type": "gold"}, "invalid 'token_type' value"},
		{"custom id with prefix", "create", "root", map[string]any{"id": "hvs.abc"}, "cannot have the 'hvs.' prefix"},
		{"custom id with dot", "create", "root", map[string]any{"id": "a.b"}, "cannot have a '.'"},
		{"unassignable policy", "create", "root", map[string]any{"policies": "response-wrapping"}, `cannot assign policy "response-wrapping"`},
		{"entity alias", "create", "root", map[string]any{"entity_alias": "x"}, "only allowed in combination with token role"},
		{"not a subset", "create", "user", map[string]any{"policies": "a,c"}, "child policies must be subset of parent"},
		{"root child of non-root", "create", "user", map[string]any{"policies": "root"}, "child policies must be subset of parent"},
		{"no_parent without sudo", "create", "user", map[string]any{"no_parent": true}, "root or sudo privileges required to create orphan token"},
		{"period without sudo", "create", "user", map[string]any{"period": "1h"}, "root or sudo privileges required to create periodic token"},
		{"id without sudo", "create", "user", map[string]any{"id": "mine"}, "root or sudo privileges required to specify token id"},
		{"unknown role", "create/nope", "root", nil, "unknown role nope"},
		{"role: policy not allowed", "create/r", "root", map[string]any{"policies": "z"}, "must be subset of the role's allowed policies"},
		{"role: disallowed", "create/r", "root", map[string]any{"policies": "a,bad"}, "must be subset"},
		{"role: entity alias", "create/r", "root", map[string]any{"entity_alias": "x"}, "entity aliases are not supported"},
		{"role bad token_type", "roles/x", "root", map[string]any{"token_type": "gold"}, "invalid 'token_type' value"},
		{"role bad path suffix", "roles/x", "root", map[string]any{"path_suffix": "../evil"}, "path suffix contains invalid characters"},
		{"role bad cidr", "roles/x", "root", map[string]any{"token_bound_cidrs": "10.0.0.0/33"}, "invalid CIDR"},
		{"role negative uses", "roles/x", "root", map[string]any{"token_num_uses": -2}, "token_num_uses cannot be negative"},
		{"role bad period", "roles/x", "root", map[string]any{"token_period": "banana"}, `field "token_period"`},
		{"role bad bool", "roles/x", "root", map[string]any{"orphan": "perhaps"}, `field "orphan"`},
		{"renew bad increment", "renew-self", "user", map[string]any{"increment": "banana"}, `field "increment"`},
		{"revoke without token", "revoke", "root", nil, "missing token ID"},
		{"revoke-orphan without token", "revoke-orphan", "root", nil, "missing token ID"},
		{"revoke-accessor without accessor", "revoke-accessor", "root", nil, "missing accessor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			caller := e.root.ID
			if tc.caller == "user" {
				caller = user.ClientToken
			}
			before := e.dump()
			_, err := e.do(logical.UpdateOperation, tc.path, caller, tc.data)
			wantStatus(t, err, 400, tc.want)
			if after := e.dump(); !maps.Equal(before, after) {
				t.Fatalf("storage changed: %d keys before, %d after", len(before), len(after))
			}
		})
	}
}

func TestExpiringRootCannotMakeNonExpiringRoot(t *testing.T) {
	e := newEnv(t)
	r := e.create("create", e.root.ID, map[string]any{"ttl": "1h"})
	if r.TTL != time.Hour || !slices.Equal(r.Policies, []string{"root"}) {
		t.Fatalf("expiring root: %+v", r)
	}
	before := e.dump()
	_, err := e.do(logical.UpdateOperation, "create", r.ClientToken, map[string]any{"no_parent": true})
	wantStatus(t, err, 400, "expiring root tokens cannot create non-expiring root tokens")
	if !maps.Equal(before, e.dump()) {
		t.Fatal("storage changed")
	}
}

func TestRoutingErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		op     logical.Operation
		path   string
		status int
	}{
		{logical.ReadOperation, "nope", 404},
		{logical.ReadOperation, "create", 405},
		{logical.DeleteOperation, "lookup-self", 405},
		{logical.UpdateOperation, "roles", 405},
		{logical.ReadOperation, "roles/bad name", 404},
		{logical.UpdateOperation, "create/-x", 404},
		{logical.UpdateOperation, "lookup/extra", 404},
	}
	for _, tc := range tests {
		t.Run(string(tc.op)+" "+tc.path, func(t *testing.T) {
			_, err := e.do(tc.op, tc.path, e.root.ID, nil)
			if logical.StatusOf(err) != tc.status {
				t.Fatalf("status %d (%v), want %d", logical.StatusOf(err), err, tc.status)
			}
		})
	}
	resp := e.mustDo(logical.UpdateOperation, "create", e.root.ID, map[string]any{"policies": "x", "colour": "red"})
	if len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "colour") {
		t.Fatalf("unknown parameter not warned: %v", resp.Warnings)
	}
}

func TestRoles(t *testing.T) {
	e := newEnv(t)
	if resp := e.mustDo(logical.ListOperation, "roles", e.root.ID, nil); resp != nil {
		t.Fatalf("empty role list: %+v", resp)
	}
	ok, exists, err := e.be.ExistenceCheck(context.Background(), &logical.Request{Path: "roles/ci"})
	if err != nil || !ok || exists {
		t.Fatalf("existence of a missing role: %v %v %v", ok, exists, err)
	}
	e.mustDo(logical.CreateOperation, "roles/ci", e.root.ID, map[string]any{
		"allowed_policies": "Deploy, read", "disallowed_policies": "root,admin", "orphan": "true",
		"path_suffix": "v2", "token_explicit_max_ttl": "4h", "token_period": 0,
		"token_bound_cidrs": []any{"10.0.0.0/8", "192.168.1.5"}, "token_num_uses": "7",
	})
	if _, exists, _ := e.be.ExistenceCheck(context.Background(), &logical.Request{Path: "roles/ci"}); !exists {
		t.Fatal("role not found by existence check")
	}
	read := e.mustDo(logical.ReadOperation, "roles/ci", e.root.ID, nil)
	checkData(t, read.Data, map[string]any{
		"name": "ci", "allowed_policies": []string{"deploy", "read"}, "disallowed_policies": []string{"admin", "root"},
		"orphan": true, "renewable": true, "path_suffix": "v2", "token_explicit_max_ttl": int64(14400),
		"token_period": int64(0), "token_type": "default-service", "token_bound_cidrs": []string{"10.0.0.0/8", "192.168.1.5"},
		"token_num_uses": 7, "token_no_default_policy": false,
	})
	// An update changes only what it names.
	e.mustDo(logical.UpdateOperation, "roles/ci", e.root.ID, map[string]any{"renewable": false, "period": "30m"})
	read = e.mustDo(logical.ReadOperation, "roles/ci", e.root.ID, nil)
	checkData(t, read.Data, map[string]any{"renewable": false, "orphan": true, "path_suffix": "v2", "token_period": int64(1800), "period": int64(1800)})

	a := e.create("create/ci", e.root.ID, nil)
	ent := e.lookup(a.ClientToken)
	if ent.Role != "ci" || ent.Path != "auth/token/create/ci/v2" || !ent.Orphan || ent.Renewable || ent.NumUses != 7 ||
		ent.Period != 30*time.Minute || ent.ExplicitMaxTTL != 4*time.Hour || !slices.Equal(ent.BoundCIDRs, []string{"10.0.0.0/8", "192.168.1.5"}) {
		t.Fatalf("token from role: %+v", ent)
	}
	if !ent.AllowsAddr("10.1.2.3") || !ent.AllowsAddr("192.168.1.5") || ent.AllowsAddr("192.168.1.6") || ent.AllowsAddr("junk") {
		t.Fatal("bound CIDRs not applied")
	}
	checkData(t, e.mustDo(logical.ReadOperation, "lookup-self", a.ClientToken, nil).Data, map[string]any{"role": "ci"})

	e.mustDo(logical.UpdateOperation, "roles/other", e.root.ID, nil)
	list := e.mustDo(logical.ListOperation, "roles/", e.root.ID, nil)
	if keys := list.Data["keys"].([]string); !slices.Equal(keys, []string{"ci", "other"}) {
		t.Fatalf("roles: %v", keys)
	}
	e.mustDo(logical.DeleteOperation, "roles/ci", e.root.ID, nil)
	if resp := e.mustDo(logical.ReadOperation, "roles/ci", e.root.ID, nil); resp != nil {
		t.Fatal("deleted role still read")
	}
	_, err = e.do(logical.UpdateOperation, "create/ci", e.root.ID, nil)
	wantStatus(t, err, 400, "unknown role ci")
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"dev-*", "dev-web", true}, {"dev-*", "prod-web", false}, {"*-web", "dev-web", true},
		{"a*b*c", "axxbyyc", true}, {"a*b*c", "axxc", false}, {"exact", "exact", true}, {"exact", "exactly", false}, {"*", "", true},
	}
	for _, tc := range tests {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
	e := newEnv(t)
	e.mustDo(logical.UpdateOperation, "roles/g", e.root.ID, map[string]any{"allowed_policies_glob": "team-*", "disallowed_policies_glob": "*-admin"})
	if a := e.create("create/g", e.root.ID, map[string]any{"policies": "team-web"}); !slices.Equal(a.Policies, []string{"default", "team-web"}) {
		t.Fatalf("glob-allowed policies: %v", a.Policies)
	}
	_, err := e.do(logical.UpdateOperation, "create/g", e.root.ID, map[string]any{"policies": "team-admin"})
	wantStatus(t, err, 400, `token policy "team-admin" is disallowed by this role`)
}

func TestHooks(t *testing.T) {
	e := newEnv(t)
	h := &hooks{sudo: map[string]bool{}}
	e.store.SetHooks(h)
	a := e.create("create", e.root.ID, map[string]any{"policies": "x"})
	c := e.create("create", a.ClientToken, nil)
	if !slices.Equal(h.created, []string{a.Accessor, c.Accessor}) {
		t.Fatalf("created hooks: %v", h.created)
	}
	e.mustDo(logical.UpdateOperation, "revoke", e.root.ID, map[string]any{"token": a.ClientToken})
	if !slices.Equal(h.revoked, []string{c.Accessor, a.Accessor}) {
		t.Fatalf("revoked hooks (children first): %v", h.revoked)
	}

	// A failed TokenCreated undoes the creation.
	before := e.dump()
	h.failCreate = errors.New("lease index full")
	if _, err := e.do(logical.UpdateOperation, "create", e.root.ID, nil); err == nil || logical.StatusOf(err) != 500 {
		t.Fatalf("create with failing hook: %v", err)
	}
	if after := e.dump(); !maps.Equal(before, after) {
		t.Fatalf("failed creation left %d keys (had %d)", len(after), len(before))
	}
	h.failCreate = nil

	// A failed TokenRevoked leaves the token unusable; revoking again finishes.
	b := e.create("create", e.root.ID, map[string]any{"policies": "x"})
	h.failRevoke = errors.New("cubbyhole busy")
	if _, err := e.do(logical.UpdateOperation, "revoke", e.root.ID, map[string]any{"token": b.ClientToken}); err == nil {
		t.Fatal("revoke ignored a failing hook")
	}
	if e.lookup(b.ClientToken) != nil {
		t.Fatal("half-revoked token still usable")
	}
	h.failRevoke = nil
	if err := e.store.RevokeAccessor(context.Background(), b.Accessor); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.dump()[accessorPrefix+b.Accessor]; ok {
		t.Fatal("retry did not finish the revocation")
	}

	// SudoChecker lets a non-root token do sudo things.
	u := e.create("create", e.root.ID, map[string]any{"policies": "ops"})
	_, err := e.do(logical.UpdateOperation, "create", u.ClientToken, map[string]any{"no_parent": true})
	wantStatus(t, err, 400, "root or sudo privileges required")
	h.sudo[u.Accessor] = true
	if o := e.create("create", u.ClientToken, map[string]any{"no_parent": true, "policies": "anything"}); !o.Orphan || !slices.Contains(o.Policies, "anything") {
		t.Fatalf("sudo create: %+v", o)
	}
	_, err = e.do(logical.UpdateOperation, "create", u.ClientToken, map[string]any{"policies": "root"})
	wantStatus(t, err, 400, "root tokens may not be created without parent token being root")
}

func TestConcurrentUse(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	parent := e.create("create", e.root.ID, map[string]any{"policies": "x"})
	limited := e.create("create", e.root.ID, map[string]any{"policies": "x", "num_uses": 50})
	var wg sync.WaitGroup
	var mu sync.Mutex
	uses := 0
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				a := e.create("create", parent.ClientToken, nil)
				if e.lookup(a.ClientToken) == nil {
					t.Error("fresh token refused")
				}
				if ent := e.lookup(limited.ClientToken); ent != nil {
					if got, _ := e.store.UseToken(ctx, ent); got != nil {
						mu.Lock()
						uses++
						mu.Unlock()
					}
				}
				if (w+i)%3 == 0 {
					if err := e.store.RevokeTree(ctx, e.lookup(a.ClientToken)); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if uses != 50 {
		t.Fatalf("%d uses counted for a 50-use token", uses)
	}
	if err := e.store.RevokeTree(ctx, e.lookup(parent.ClientToken)); err != nil {
		t.Fatal(err)
	}
	d := e.dump()
	if ids := keysWithPrefix(d, idPrefix); len(ids) != 1 {
		t.Fatalf("%d entries left after revoking the parent, want only root", len(ids))
	}
	if p := keysWithPrefix(d, parentPrefix); len(p) != 0 {
		t.Fatalf("parent index left: %d", len(p))
	}
}
