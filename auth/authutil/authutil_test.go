package authutil

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// TestRoleRoutes: each path and operation reaches its handler (with the
// role name), and the rest get the unsupported path/operation errors.
func TestRoleRoutes(t *testing.T) {
	var got string
	h := func(name string) Handler {
		return func(context.Context, *logical.Request) (*logical.Response, error) { got = name; return nil, nil }
	}
	rh := func(name string) RoleHandler {
		return func(_ context.Context, _ *logical.Request, role string) (*logical.Response, error) {
			got = name + ":" + role
			return nil, nil
		}
	}
	rr := &RoleRoutes{
		Renew: h("renew"), ReadConfig: h("readConfig"), WriteConfig: h("writeConfig"),
		Login: h("login"), ListRoles: h("listRoles"),
		ReadRole: rh("readRole"), WriteRole: rh("writeRole"), DeleteRole: rh("deleteRole"),
	}
	for _, tc := range []struct {
		op      logical.Operation
		path    string
		want    string
		wantErr error
	}{
		{logical.RenewOperation, "anything", "renew", nil},
		{logical.ReadOperation, "config", "readConfig", nil},
		{logical.UpdateOperation, "config/", "writeConfig", nil},
		{logical.CreateOperation, "login", "login", nil},
		{logical.ListOperation, "role/", "listRoles", nil},
		{logical.ReadOperation, "role/dev.a@b-c", "readRole:dev.a@b-c", nil},
		{logical.CreateOperation, "role/x", "writeRole:x", nil},
		{logical.DeleteOperation, "role/x", "deleteRole:x", nil},
		{logical.ReadOperation, "login", "", logical.ErrUnsupportedOperation},
		{logical.DeleteOperation, "config", "", logical.ErrUnsupportedOperation},
		{logical.ReadOperation, "role", "", logical.ErrUnsupportedOperation},
		{logical.ReadOperation, "role/-bad", "", logical.ErrUnsupportedPath},
		{logical.ReadOperation, "role/a/b", "", logical.ErrUnsupportedPath},
		{logical.ReadOperation, "other", "", logical.ErrUnsupportedPath},
	} {
		got = ""
		_, err := rr.HandleRequest(context.Background(), &logical.Request{Operation: tc.op, Path: tc.path})
		if !errors.Is(err, tc.wantErr) || got != tc.want {
			t.Errorf("%s %s: reached %q, err %v; want %q, err %v", tc.op, tc.path, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestRoleRoutesExistenceCheck: only role/NAME is checked, with the name.
func TestRoleRoutesExistenceCheck(t *testing.T) {
	rr := &RoleRoutes{RoleExists: func(_ context.Context, _ logical.Storage, name string) (bool, error) {
		return name == "there", nil
	}}
	for _, tc := range []struct {
		path           string
		ok, wantExists bool
	}{
		{"role/there", true, true},
		{"role/gone", true, false},
		{"role/-bad", false, false},
		{"config", false, false},
	} {
		ok, exists, err := rr.ExistenceCheck(context.Background(), &logical.Request{Path: tc.path})
		if err != nil || ok != tc.ok || exists != tc.wantExists {
			t.Errorf("%s: ok %v exists %v err %v; want %v %v", tc.path, ok, exists, err, tc.ok, tc.wantExists)
		}
	}
}

// TestDefaults: a nil config is refused with the method's name; missing
// logger and system view are filled in, given ones kept.
func TestDefaults(t *testing.T) {
	if _, _, err := Defaults(nil, "jwt auth"); err == nil || err.Error() != "jwt auth: nil backend config" {
		t.Fatalf("nil config: err %v", err)
	}
	logger, system, err := Defaults(&logical.BackendConfig{}, "x")
	if err != nil || logger == nil || system == nil {
		t.Fatalf("empty config: %v %v %v", logger, system, err)
	}
	given := logical.StaticSystemView{MaxTTL: time.Hour}
	_, system, err = Defaults(&logical.BackendConfig{System: given}, "x")
	if err != nil || system.MaxLeaseTTL() != time.Hour {
		t.Fatalf("given system view not kept: %v %v", system, err)
	}
}

// TestList: no entries give no response; entries give their keys.
func TestList(t *testing.T) {
	ctx := context.Background()
	s := logical.NewInmemStorage()
	if resp, err := List(ctx, s, "role/", "x: list"); err != nil || resp != nil {
		t.Fatalf("empty: %v %v", resp, err)
	}
	if err := s.Put(ctx, &logical.StorageEntry{Key: "role/a", Value: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	resp, err := List(ctx, s, "role/", "x: list")
	if err != nil || resp == nil {
		t.Fatalf("one role: %v %v", resp, err)
	}
	if keys, _ := resp.Data["keys"].([]string); len(keys) != 1 || keys[0] != "a" {
		t.Fatalf("keys %v", resp.Data["keys"])
	}
}
