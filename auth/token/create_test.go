package token

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func TestTokenAndAccessorFormat(t *testing.T) {
	e := newEnv(t)
	seen := map[string]bool{}
	for range 200 {
		a := e.create("create", e.root.ID, nil)
		rest, ok := strings.CutPrefix(a.ClientToken, "hvs.")
		if !ok || len(rest) != tokenChars {
			t.Fatalf("token %q: want hvs. + %d chars", a.ClientToken, tokenChars)
		}
		if len(a.Accessor) != accessorChars || !validAccessor(a.Accessor) {
			t.Fatalf("accessor %q: want %d base62 chars", a.Accessor, accessorChars)
		}
		if strings.Contains(a.ClientToken, a.Accessor) {
			t.Fatal("accessor derived from token")
		}
		for _, s := range []string{a.ClientToken, a.Accessor} {
			if seen[s] {
				t.Fatalf("duplicate %q", s)
			}
			seen[s] = true
		}
	}
}

func TestCreate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A non-root parent with policies a, b and default.
	parent := e.create("create", e.root.ID, map[string]any{"policies": "a,b", "ttl": "10h"})
	e.mustDo(logical.UpdateOperation, "roles/web", e.root.ID, map[string]any{
		"allowed_policies": "web,db", "orphan": true, "path_suffix": "v1", "token_period": "2h",
	})
	e.mustDo(logical.UpdateOperation, "roles/child", e.root.ID, map[string]any{"renewable": false, "token_num_uses": 3})

	tests := []struct {
		name         string
		path, caller string
		data         map[string]any
		policies     []string
		orphan       bool
		ttl          time.Duration
		renewable    bool
		display      string
		entryPath    string
		numUses      int
		period       time.Duration
	}{
		{name: "root child inherits root", path: "create", caller: e.root.ID,
			policies: []string{"root"}, ttl: 0, display: "token", entryPath: "auth/token/create"},
		{name: "root child with policies gets default and mount default ttl", path: "create", caller: e.root.ID,
			data:     map[string]any{"policies": []any{"Dev", "ops"}, "display_name": "ci job", "meta": map[string]any{"team": "x"}},
			policies: []string{"default", "dev", "ops"}, ttl: testDefaultTTL, renewable: true, display: "token-ci-job", entryPath: "auth/token/create"},
		{name: "CLI zero ttl and period mean unset", path: "create", caller: e.root.ID,
			data:     map[string]any{"policies": "x", "ttl": "0s", "period": "0s", "explicit_max_ttl": "0s"},
			policies: []string{"default", "x"}, ttl: testDefaultTTL, renewable: true, display: "token", entryPath: "auth/token/create"},
		{name: "ttl capped by mount max", path: "create", caller: e.root.ID,
			data:     map[string]any{"policies": "x", "ttl": "1000h"},
			policies: []string{"default", "x"}, ttl: testMaxTTL, renewable: true, display: "token", entryPath: "auth/token/create"},
		{name: "explicit max caps ttl", path: "create", caller: e.root.ID,
			data:     map[string]any{"policies": "x", "ttl": "5h", "explicit_max_ttl": 3600},
			policies: []string{"default", "x"}, ttl: time.Hour, renewable: true, display: "token", entryPath: "auth/token/create"},
		{name: "no_default_policy", path: "create", caller: e.root.ID,
			data:     map[string]any{"policies": "x", "no_default_policy": true, "renewable": "false", "num_uses": "4"},
			policies: []string{"x"}, ttl: testDefaultTTL, renewable: false, display: "token", entryPath: "auth/token/create", numUses: 4},
		{name: "non-root subset keeps default, ttl capped by parent", path: "create", caller: parent.ClientToken,
			data:     map[string]any{"policies": "a", "ttl": "20h"},
			policies: []string{"a", "default"}, ttl: 10 * time.Hour, renewable: true, display: "token", entryPath: "auth/token/create"},
		{name: "non-root inherits", path: "create", caller: parent.ClientToken,
			policies: []string{"a", "b", "default"}, ttl: 10 * time.Hour, renewable: true, display: "token", entryPath: "auth/token/create"},
		{name: "create-orphan by non-root is not capped by parent", path: "create-orphan", caller: parent.ClientToken,
			data:     map[string]any{"ttl": "20h"},
			policies: []string{"a", "b", "default"}, orphan: true, ttl: 20 * time.Hour, renewable: true, display: "token", entryPath: "auth/token/create-orphan"},
		{name: "no_parent by root", path: "create", caller: e.root.ID,
			data:     map[string]any{"no_parent": "true", "policies": "p"},
			policies: []string{"default", "p"}, orphan: true, ttl: testDefaultTTL, renewable: true, display: "token", entryPath: "auth/token/create"},
		{name: "periodic by root", path: "create", caller: e.root.ID,
			data:     map[string]any{"policies": "p", "period": "1h", "ttl": "5h"},
			policies: []string{"default", "p"}, ttl: time.Hour, renewable: true, display: "token", entryPath: "auth/token/create", period: time.Hour},
		{name: "role: allowed policies beyond parent, orphan, suffix, period", path: "create/web", caller: parent.ClientToken,
			data:     map[string]any{"policies": "web"},
			policies: []string{"default", "web"}, orphan: true, ttl: 2 * time.Hour, renewable: true, display: "token", entryPath: "auth/token/create/web/v1", period: 2 * time.Hour},
		{name: "role: defaults to allowed set", path: "create/web", caller: parent.ClientToken,
			policies: []string{"db", "default", "web"}, orphan: true, ttl: 2 * time.Hour, renewable: true, display: "token", entryPath: "auth/token/create/web/v1", period: 2 * time.Hour},
		{name: "role without policy lists: parent policies, not renewable, num uses", path: "create/child", caller: parent.ClientToken,
			policies: []string{"a", "b", "default"}, ttl: 10 * time.Hour, renewable: false, display: "token", entryPath: "auth/token/create/child", numUses: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.create(tc.path, tc.caller, tc.data)
			if !slices.Equal(a.Policies, tc.policies) || !slices.Equal(a.TokenPolicies, tc.policies) {
				t.Errorf("policies %v / %v, want %v", a.Policies, a.TokenPolicies, tc.policies)
			}
			if a.Orphan != tc.orphan || a.TTL != tc.ttl || a.Renewable != tc.renewable || a.NumUses != tc.numUses || a.Period != tc.period {
				t.Errorf("auth orphan=%v ttl=%v renewable=%v uses=%d period=%v, want %v %v %v %d %v",
					a.Orphan, a.TTL, a.Renewable, a.NumUses, a.Period, tc.orphan, tc.ttl, tc.renewable, tc.numUses, tc.period)
			}
			if a.DisplayName != tc.display || a.TokenType != logical.TokenTypeService || a.Accessor == "" {
				t.Errorf("display %q type %q accessor %q", a.DisplayName, a.TokenType, a.Accessor)
			}
			ent := e.lookup(a.ClientToken)
			if ent == nil {
				t.Fatal("created token not found")
			}
			if ent.Path != tc.entryPath || ent.Orphan != tc.orphan || (ent.Parent == "") != tc.orphan {
				t.Errorf("entry path %q orphan %v parent %q", ent.Path, ent.Orphan, ent.Parent)
			}
			wantExpire := time.Time{}
			if tc.ttl > 0 {
				wantExpire = e.clock.Now().Add(tc.ttl)
			}
			if !ent.ExpireTime.Equal(wantExpire) {
				t.Errorf("expire %v, want %v", ent.ExpireTime, wantExpire)
			}
			byAcc, err := e.store.LookupAccessor(ctx, a.Accessor)
			if err != nil || byAcc == nil || byAcc.ID != "" || byAcc.Accessor != a.Accessor {
				t.Errorf("accessor lookup: %+v, %v", byAcc, err)
			}
		})
	}
	if a := e.create("create", e.root.ID, map[string]any{"meta": "k=v,team=x"}); a.Metadata["team"] != "x" || a.Metadata["k"] != "v" {
		t.Errorf("meta from k=v text: %v", a.Metadata)
	}
}

func TestCreateCustomID(t *testing.T) {
	e := newEnv(t)
	a := e.create("create", e.root.ID, map[string]any{"id": "my-fixed-token", "policies": "x"})
	if a.ClientToken != "my-fixed-token" {
		t.Fatalf("custom id: %q", a.ClientToken)
	}
	_, err := e.do(logical.UpdateOperation, "create", e.root.ID, map[string]any{"id": "my-fixed-token"})
	wantStatus(t, err, 400, "cannot create a token with a duplicate ID")
	if _, err := e.store.CreateRoot(context.Background(), "my-fixed-token"); err == nil {
		t.Fatal("CreateRoot reused an existing ID")
	}
	r, err := e.store.CreateRoot(context.Background(), "dev-root")
	if err != nil || r.ID != "dev-root" || !r.IsRoot() || !r.ExpireTime.IsZero() || !r.Orphan {
		t.Fatalf("dev root: %+v, %v", r, err)
	}
}

func TestCreateFromAuth(t *testing.T) {
	tests := []struct {
		name     string
		auth     logical.Auth
		ttl      time.Duration
		policies []string
		err      string
	}{
		{name: "default ttl", auth: logical.Auth{Policies: []string{"app"}, Renewable: true}, ttl: testDefaultTTL, policies: []string{"app", "default"}},
		{name: "auth ttl", auth: logical.Auth{Policies: []string{"app"}, TTL: time.Hour}, ttl: time.Hour, policies: []string{"app", "default"}},
		{name: "clamped by auth max", auth: logical.Auth{Policies: []string{"app"}, TTL: 5 * time.Hour, MaxTTL: 2 * time.Hour}, ttl: 2 * time.Hour, policies: []string{"app", "default"}},
		{name: "clamped by mount max", auth: logical.Auth{Policies: []string{"app"}, TTL: 500 * time.Hour}, ttl: testMaxTTL, policies: []string{"app", "default"}},
		{name: "periodic", auth: logical.Auth{Policies: []string{"app"}, Period: 30 * time.Minute, TTL: 5 * time.Hour}, ttl: 30 * time.Minute, policies: []string{"app", "default"}},
		{name: "no default policy", auth: logical.Auth{Policies: []string{"app"}, NoDefaultPolicy: true}, ttl: testDefaultTTL, policies: []string{"app"}},
		{name: "root refused", auth: logical.Auth{Policies: []string{"root"}}, err: "auth methods cannot create root tokens"},
		{name: "batch with uses refused", auth: logical.Auth{TokenType: logical.TokenTypeBatch, NumUses: 2}, err: "batch tokens cannot be periodic or have a use count limit"},
		{name: "negative uses refused", auth: logical.Auth{NumUses: -1}, err: "number of uses cannot be negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			before := len(e.dump())
			auth := tc.auth
			auth.DisplayName = "kubernetes-default-app"
			auth.Metadata = map[string]string{"service_account_name": "app"}
			auth.InternalData = map[string]any{"role": "app"}
			ent, err := e.store.CreateFromAuth(context.Background(), "auth/kubernetes/login", &auth)
			if tc.err != "" {
				wantStatus(t, err, 400, tc.err)
				if after := len(e.dump()); after != before {
					t.Fatalf("storage grew from %d to %d keys", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if auth.ClientToken == "" || auth.ClientToken != ent.ID || auth.Accessor != ent.Accessor || !auth.Orphan || auth.TTL != tc.ttl {
				t.Fatalf("auth not filled: %+v", auth)
			}
			if !slices.Equal(auth.Policies, tc.policies) || !slices.Equal(ent.Policies, tc.policies) {
				t.Fatalf("policies %v / %v, want %v", auth.Policies, ent.Policies, tc.policies)
			}
			got := e.lookup(auth.ClientToken)
			if got == nil || got.Path != "auth/kubernetes/login" || got.InternalData["role"] != "app" || got.Meta["service_account_name"] != "app" || !got.Orphan {
				t.Fatalf("stored login token: %+v", got)
			}
		})
	}
}

func TestChildNeverOutlivesParent(t *testing.T) {
	e := newEnv(t)
	parent := e.create("create", e.root.ID, map[string]any{"policies": "p", "ttl": "1h"})
	e.clock.Advance(40 * time.Minute)
	child := e.create("create", parent.ClientToken, map[string]any{"ttl": "2h"})
	if child.TTL != 20*time.Minute {
		t.Fatalf("child ttl %v, want the parent's remaining 20m", child.TTL)
	}
	// Renewing the child cannot push it past the parent either.
	e.clock.Advance(10 * time.Minute)
	resp := e.mustDo(logical.UpdateOperation, "renew", e.root.ID, map[string]any{"token": child.ClientToken, "increment": "1h"})
	if resp.Auth.TTL != 10*time.Minute {
		t.Fatalf("renewed child ttl %v, want 10m", resp.Auth.TTL)
	}
}
