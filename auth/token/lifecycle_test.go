package token

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func TestLookupSelfFields(t *testing.T) {
	e := newEnv(t)
	created := e.clock.Now()
	a := e.create("create", e.root.ID, map[string]any{
		"policies": "app", "ttl": "2h", "explicit_max_ttl": "10h", "display_name": "web",
		"meta": map[string]any{"owner": "ops"}, "num_uses": 5,
	})
	e.clock.Advance(30 * time.Minute)
	resp := e.mustDo(logical.ReadOperation, "lookup-self", a.ClientToken, nil)
	want := map[string]any{
		"id":               a.ClientToken,
		"accessor":         a.Accessor,
		"policies":         []string{"app", "default"},
		"path":             "auth/token/create",
		"meta":             map[string]string{"owner": "ops"},
		"display_name":     "token-web",
		"num_uses":         5,
		"orphan":           false,
		"creation_time":    created.Unix(),
		"creation_ttl":     int64(7200),
		"expire_time":      created.Add(2 * time.Hour).Format(time.RFC3339Nano),
		"ttl":              int64(5400),
		"explicit_max_ttl": int64(36000),
		"entity_id":        "",
		"type":             "service",
		"issue_time":       created.Format(time.RFC3339Nano),
		"renewable":        true,
	}
	checkData(t, resp.Data, want)

	// lookup with the token in the body gives the same; lookup-accessor
	// hides the id.
	body := e.mustDo(logical.UpdateOperation, "lookup", e.root.ID, map[string]any{"token": a.ClientToken})
	checkData(t, body.Data, want)
	byAcc := e.mustDo(logical.UpdateOperation, "lookup-accessor", e.root.ID, map[string]any{"accessor": a.Accessor})
	want["id"] = ""
	checkData(t, byAcc.Data, want)

	// The root token: no expiry, not renewable, orphan.
	root := e.mustDo(logical.ReadOperation, "lookup-self", e.root.ID, nil)
	checkData(t, root.Data, map[string]any{
		"policies": []string{"root"}, "expire_time": nil, "ttl": int64(0), "creation_ttl": int64(0),
		"orphan": true, "renewable": false, "path": "auth/token/root", "display_name": "root",
	})
	// A periodic token shows its period.
	p := e.create("create", e.root.ID, map[string]any{"policies": "x", "period": "15m"})
	checkData(t, e.mustDo(logical.ReadOperation, "lookup-self", p.ClientToken, nil).Data, map[string]any{"period": int64(900)})

	_, err := e.do(logical.UpdateOperation, "lookup", e.root.ID, map[string]any{"token": "hvs.nope"})
	wantStatus(t, err, 403, "bad token")
}

func checkData(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("field %q missing", k)
			continue
		}
		if !equalValue(g, w) {
			t.Errorf("field %q = %#v, want %#v", k, g, w)
		}
	}
}

func equalValue(a, b any) bool {
	switch av := a.(type) {
	case []string:
		bv, ok := b.([]string)
		return ok && slices.Equal(av, bv)
	case map[string]string:
		bv, ok := b.(map[string]string)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, v := range av {
			if bv[k] != v {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestRenewArithmetic(t *testing.T) {
	tests := []struct {
		name      string
		create    map[string]any
		every     time.Duration // clock advance before each renewal
		times     int           // renewals
		increment string
		want      time.Duration // TTL granted by the last renewal
		err       string
	}{
		{name: "no increment renews to the creation ttl", create: map[string]any{"ttl": "1h"},
			every: 30 * time.Minute, times: 1, want: time.Hour},
		{name: "increment", create: map[string]any{"ttl": "1h"},
			every: 10 * time.Minute, times: 1, increment: "3h", want: 3 * time.Hour},
		{name: "increment as seconds", create: map[string]any{"ttl": "1h"},
			every: 10 * time.Minute, times: 1, increment: "600", want: 10 * time.Minute},
		{name: "capped by mount max from creation", create: map[string]any{"ttl": "24h"},
			every: 20 * time.Hour, times: 3, increment: "24h", want: 12 * time.Hour},
		{name: "capped by explicit max", create: map[string]any{"ttl": "1h", "explicit_max_ttl": "90m"},
			every: 50 * time.Minute, times: 1, increment: "1h", want: 40 * time.Minute},
		{name: "dead at explicit max", create: map[string]any{"ttl": "1h", "explicit_max_ttl": "2h"},
			every: 50 * time.Minute, times: 3, increment: "1h", err: "token not found"},
		{name: "periodic ignores increment and mount max", create: map[string]any{"period": "1h"},
			every: 50 * time.Minute, times: 100, increment: "10h", want: time.Hour},
		{name: "periodic with explicit max", create: map[string]any{"period": "1h", "explicit_max_ttl": "150m"},
			every: 50 * time.Minute, times: 2, want: 50 * time.Minute},
		{name: "non-renewable refused", create: map[string]any{"ttl": "1h", "renewable": false},
			every: time.Minute, times: 1, err: "lease is not renewable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			data := map[string]any{"policies": "x"}
			for k, v := range tc.create {
				data[k] = v
			}
			a := e.create("create", e.root.ID, data)
			var resp *logical.Response
			var err error
			for range tc.times {
				e.clock.Advance(tc.every)
				body := map[string]any{}
				if tc.increment != "" {
					body["increment"] = tc.increment
				}
				if resp, err = e.do(logical.UpdateOperation, "renew-self", a.ClientToken, body); err != nil {
					break
				}
			}
			if tc.err != "" {
				wantStatus(t, err, 400, tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Auth.TTL != tc.want || resp.Auth.ClientToken != a.ClientToken || !resp.Auth.Renewable {
				t.Fatalf("renew auth ttl=%v token ok=%v renewable=%v, want ttl %v", resp.Auth.TTL, resp.Auth.ClientToken == a.ClientToken, resp.Auth.Renewable, tc.want)
			}
			ent := e.lookup(a.ClientToken)
			if !ent.ExpireTime.Equal(e.clock.Now().Add(tc.want)) || !ent.LastRenewalTime.Equal(e.clock.Now()) {
				t.Fatalf("stored expiry %v, want %v", ent.ExpireTime, e.clock.Now().Add(tc.want))
			}
			if ent.TTL != a.TTL {
				t.Fatalf("creation ttl changed from %v to %v", a.TTL, ent.TTL)
			}
		})
	}
}

func TestRenewWithoutIncrementReusesLastGrant(t *testing.T) {
	e := newEnv(t)
	a := e.create("create", e.root.ID, map[string]any{"policies": "x", "ttl": "1h"})
	e.clock.Advance(10 * time.Minute)
	e.mustDo(logical.UpdateOperation, "renew-self", a.ClientToken, map[string]any{"increment": "3h"})
	e.clock.Advance(10 * time.Minute)
	resp := e.mustDo(logical.UpdateOperation, "renew-self", a.ClientToken, nil)
	if resp.Auth.TTL != 3*time.Hour {
		t.Fatalf("renewal without increment granted %v, want the last grant 3h", resp.Auth.TTL)
	}
}

func TestCalculateTTL(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	sys := logical.StaticSystemView{DefaultTTL: time.Hour, MaxTTL: 10 * time.Hour}
	tests := []struct {
		name string
		req  ttlRequest
		want time.Duration
		err  string
	}{
		{name: "default", req: ttlRequest{now: now, start: now}, want: time.Hour},
		{name: "base beats default", req: ttlRequest{now: now, start: now, base: 2 * time.Hour}, want: 2 * time.Hour},
		{name: "increment beats base", req: ttlRequest{now: now, start: now, base: 2 * time.Hour, increment: 3 * time.Hour}, want: 3 * time.Hour},
		{name: "issuer max", req: ttlRequest{now: now, start: now, base: 5 * time.Hour, maxTTL: 4 * time.Hour}, want: 4 * time.Hour},
		{name: "issuer max above mount max", req: ttlRequest{now: now, start: now, base: 50 * time.Hour, maxTTL: 40 * time.Hour}, want: 10 * time.Hour},
		{name: "period capped by mount max", req: ttlRequest{now: now, start: now, period: 20 * time.Hour}, want: 10 * time.Hour},
		{name: "period from long ago", req: ttlRequest{now: now, start: now.Add(-1000 * time.Hour), period: time.Hour}, want: time.Hour},
		{name: "past the max", req: ttlRequest{now: now, start: now.Add(-11 * time.Hour)}, err: "past the max TTL, cannot renew"},
		{name: "periodic past explicit max", req: ttlRequest{now: now, start: now.Add(-3 * time.Hour), period: time.Hour, explicitMax: 2 * time.Hour}, err: "past the max TTL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := calculateTTL(sys, tc.req)
			if tc.err != "" {
				wantStatus(t, err, 400, tc.err)
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestRenewRefusals(t *testing.T) {
	e := newEnv(t)
	_, err := e.do(logical.UpdateOperation, "renew-self", e.root.ID, nil)
	wantStatus(t, err, 400, "lease is not renewable")
	_, err = e.do(logical.UpdateOperation, "renew", e.root.ID, map[string]any{"token": "hvs.unknown"})
	wantStatus(t, err, 400, "token not found")
	_, err = e.do(logical.UpdateOperation, "renew", e.root.ID, nil)
	wantStatus(t, err, 400, "missing token ID")
	a := e.create("create", e.root.ID, map[string]any{"policies": "x", "ttl": "1h"})
	_, err = e.do(logical.UpdateOperation, "renew-self", a.ClientToken, map[string]any{"increment": "-1h"})
	wantStatus(t, err, 400, `"increment"`)
}

func TestRenewLoginTokenAsksAuthMethod(t *testing.T) {
	e := newEnv(t)
	h := &hooks{}
	e.store.SetHooks(h)
	ctx := context.Background()
	auth := &logical.Auth{Policies: []string{"app"}, TTL: time.Hour, Renewable: true, ExplicitMaxTTL: 5 * time.Hour}
	ent, err := e.store.CreateFromAuth(ctx, "auth/kubernetes/login", auth)
	if err != nil {
		t.Fatal(err)
	}
	// The method allows, changing the TTL and max; leaving the explicit
	// max out does not remove it.
	h.renewAuth = &logical.Auth{TTL: 2 * time.Hour, MaxTTL: 3 * time.Hour}
	e.clock.Advance(30 * time.Minute)
	got, err := e.store.Renew(ctx, ent, 0)
	if err != nil || got.GrantedTTL != 2*time.Hour || got.MaxTTL != 3*time.Hour || got.ExplicitMaxTTL != 5*time.Hour || h.checked != 1 {
		t.Fatalf("renew: %+v, %v, checked %d", got, err, h.checked)
	}
	e.clock.Advance(2*time.Hour - time.Minute)
	if got, err = e.store.Renew(ctx, ent, 0); err != nil || got.GrantedTTL != 31*time.Minute {
		t.Fatalf("renew to the method's max: %+v, %v", got, err)
	}
	// The method refuses.
	h.renewErr = logical.InvalidRequest("service account is gone")
	_, err = e.store.Renew(ctx, ent, 0)
	wantStatus(t, err, 400, "service account is gone")
	// Tokens of the token store are not sent to the method.
	before := h.checked
	a := e.create("create", e.root.ID, map[string]any{"policies": "x", "ttl": "1h"})
	e.mustDo(logical.UpdateOperation, "renew-self", a.ClientToken, nil)
	if h.checked != before {
		t.Fatal("CheckRenew called for an auth/token token")
	}
	if !slices.Contains(h.renewed, a.Accessor) {
		t.Fatal("TokenRenewed not called")
	}
}

func TestRevokeTreeAndOrphans(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	parent := e.create("create", e.root.ID, map[string]any{"policies": "p,q"})
	child := e.create("create", parent.ClientToken, map[string]any{"policies": "p"})
	grandchild := e.create("create", child.ClientToken, nil)
	orphan := e.create("create-orphan", parent.ClientToken, nil)
	sibling := e.create("create", e.root.ID, map[string]any{"policies": "p"})

	e.mustDo(logical.UpdateOperation, "revoke", e.root.ID, map[string]any{"token": parent.ClientToken})
	for name, a := range map[string]*logical.Auth{"parent": parent, "child": child, "grandchild": grandchild} {
		if e.lookup(a.ClientToken) != nil {
			t.Errorf("%s survived its parent's revocation", name)
		}
		if ent, _ := e.store.LookupAccessor(ctx, a.Accessor); ent != nil {
			t.Errorf("%s still found by accessor", name)
		}
	}
	for name, a := range map[string]*logical.Auth{"orphan": orphan, "sibling": sibling} {
		if e.lookup(a.ClientToken) == nil {
			t.Errorf("%s was revoked", name)
		}
	}
	// Nothing of the revoked tokens is left in storage.
	d := e.dump()
	if p := keysWithPrefix(d, parentPrefix); len(p) != 1 { // the sibling under root
		t.Errorf("parent index left: %v", p)
	}
	if ids := keysWithPrefix(d, idPrefix); len(ids) != 3 { // root, orphan, sibling
		t.Errorf("entries left: %d", len(ids))
	}
	// Revoking an unknown token is a no-op, as in Vault.
	if resp, err := e.do(logical.UpdateOperation, "revoke", e.root.ID, map[string]any{"token": parent.ClientToken}); err != nil || resp != nil {
		t.Fatalf("revoke of a revoked token: %v %v", resp, err)
	}
}

func TestRevokeOrphan(t *testing.T) {
	e := newEnv(t)
	parent := e.create("create", e.root.ID, map[string]any{"policies": "p", "ttl": "2h"})
	child := e.create("create", parent.ClientToken, nil)

	_, err := e.do(logical.UpdateOperation, "revoke-orphan", parent.ClientToken, map[string]any{"token": parent.ClientToken})
	wantStatus(t, err, 400, "root or sudo privileges required to revoke and orphan")
	e.mustDo(logical.UpdateOperation, "revoke-orphan", e.root.ID, map[string]any{"token": parent.ClientToken})
	if e.lookup(parent.ClientToken) != nil {
		t.Fatal("parent survived revoke-orphan")
	}
	c := e.lookup(child.ClientToken)
	if c == nil || c.Parent != "" || !c.Orphan {
		t.Fatalf("child after revoke-orphan: %+v", c)
	}
	if p := keysWithPrefix(e.dump(), parentPrefix); len(p) != 0 {
		t.Fatalf("parent index left: %v", p)
	}
	_, err = e.do(logical.UpdateOperation, "revoke-orphan", e.root.ID, map[string]any{"token": parent.ClientToken})
	wantStatus(t, err, 400, "token to revoke not found")
}

func TestRevokeSelf(t *testing.T) {
	e := newEnv(t)
	a := e.create("create", e.root.ID, map[string]any{"policies": "p"})
	c := e.create("create", a.ClientToken, nil)
	if resp := e.mustDo(logical.UpdateOperation, "revoke-self", a.ClientToken, nil); resp != nil {
		t.Fatalf("revoke-self answered %+v", resp)
	}
	if e.lookup(a.ClientToken) != nil || e.lookup(c.ClientToken) != nil {
		t.Fatal("revoke-self left the token or its child")
	}
}

func TestAccessorEndpoints(t *testing.T) {
	e := newEnv(t)
	a := e.create("create", e.root.ID, map[string]any{"policies": "x", "ttl": "1h"})
	child := e.create("create", a.ClientToken, nil)
	e.clock.Advance(10 * time.Minute)

	resp := e.mustDo(logical.UpdateOperation, "renew-accessor", e.root.ID, map[string]any{"accessor": a.Accessor, "increment": "2h"})
	if resp.Auth.ClientToken != "" || resp.Auth.Accessor != a.Accessor || resp.Auth.TTL != 2*time.Hour {
		t.Fatalf("renew-accessor auth: token shown=%v ttl=%v", resp.Auth.ClientToken != "", resp.Auth.TTL)
	}
	list := e.mustDo(logical.ListOperation, "accessors", e.root.ID, nil)
	keys := list.Data["keys"].([]string)
	if len(keys) != 3 || !slices.Contains(keys, a.Accessor) || !slices.Contains(keys, e.root.Accessor) {
		t.Fatalf("accessors: %v", keys)
	}
	if sp := e.be.SpecialPaths(); !slices.Contains(sp.Root, "accessors*") {
		t.Fatalf("accessors not sudo: %+v", sp)
	}

	e.mustDo(logical.UpdateOperation, "revoke-accessor", e.root.ID, map[string]any{"accessor": a.Accessor})
	if e.lookup(a.ClientToken) != nil || e.lookup(child.ClientToken) != nil {
		t.Fatal("revoke-accessor left the token or its child")
	}
	_, err := e.do(logical.UpdateOperation, "lookup-accessor", e.root.ID, map[string]any{"accessor": a.Accessor})
	wantStatus(t, err, 400, "invalid accessor")
	_, err = e.do(logical.UpdateOperation, "lookup-accessor", e.root.ID, nil)
	wantStatus(t, err, 400, "missing accessor")
	_, err = e.do(logical.UpdateOperation, "renew-accessor", e.root.ID, map[string]any{"accessor": "../id/x"})
	wantStatus(t, err, 400, "invalid accessor")
	resp, err = e.do(logical.UpdateOperation, "revoke-accessor", e.root.ID, map[string]any{"accessor": a.Accessor})
	if err != nil || resp == nil || len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "No token found") {
		t.Fatalf("revoke of an unknown accessor: %+v %v", resp, err)
	}
}

func TestNumUses(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.create("create", e.root.ID, map[string]any{"policies": "x", "num_uses": 3})

	var last *Entry
	for want := 2; want >= -1; want-- {
		if want == 0 {
			continue // the last use reports -1
		}
		ent := e.lookup(a.ClientToken)
		if ent == nil {
			t.Fatalf("token gone with %d uses to go", want+1)
		}
		got, err := e.store.UseToken(ctx, ent)
		if err != nil || got == nil || got.NumUses != want {
			t.Fatalf("use: %+v, %v, want %d left", got, err, want)
		}
		last = got
	}
	if e.lookup(a.ClientToken) != nil {
		t.Fatal("token alive after its last use")
	}
	if ids := keysWithPrefix(e.dump(), idPrefix); len(ids) != 1 {
		t.Fatalf("spent token not deleted: %d entries", len(ids))
	}
	if got, err := e.store.UseToken(ctx, last); err != nil || got != nil {
		t.Fatalf("use after exhaustion: %+v, %v", got, err)
	}
	// The request of the last use still proceeds: core hands the entry in.
	one := e.create("create", e.root.ID, map[string]any{"policies": "x", "num_uses": 1})
	used, err := e.store.UseToken(ctx, e.lookup(one.ClientToken))
	if err != nil || used == nil {
		t.Fatal(used, err)
	}
	if _, err := e.do(logical.ReadOperation, "lookup-self", one.ClientToken, nil); err == nil {
		t.Fatal("a spent token looked itself up without its entry")
	}
	resp, err := e.be.HandleRequest(ContextWithCaller(ctx, used), &logical.Request{Operation: logical.ReadOperation, Path: "lookup-self", ClientToken: one.ClientToken})
	if err != nil || resp.Data["num_uses"] != -1 {
		t.Fatalf("last-use lookup-self: %+v, %v", resp, err)
	}
	// Another token's entry in the context is not taken for the caller.
	_, err = e.be.HandleRequest(ContextWithCaller(ctx, e.root), &logical.Request{Operation: logical.ReadOperation, Path: "lookup-self", ClientToken: one.ClientToken})
	wantStatus(t, err, 403, "bad token")
	// A limited-use token cannot create children.
	lim := e.create("create", e.root.ID, map[string]any{"policies": "x", "num_uses": 5})
	_, err = e.do(logical.UpdateOperation, "create", lim.ClientToken, nil)
	wantStatus(t, err, 400, "restricted use token cannot generate child tokens")
}

func TestExpiredTokenRefusedAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.create("create", e.root.ID, map[string]any{"policies": "x", "ttl": "60s"})
	if e.lookup(a.ClientToken) == nil { // cached now
		t.Fatal("fresh token refused")
	}
	e.clock.Advance(59 * time.Second)
	if e.lookup(a.ClientToken) == nil {
		t.Fatal("token refused before expiry")
	}
	e.clock.Advance(time.Second)
	if e.lookup(a.ClientToken) != nil {
		t.Fatal("expired token accepted")
	}
	if ent, _ := e.store.LookupAccessor(ctx, a.Accessor); ent != nil {
		t.Fatal("expired token found by accessor")
	}
	// No reaper has run: the entry is still stored, yet refused everywhere.
	if _, ok := e.dump()[accessorPrefix+a.Accessor]; !ok {
		t.Fatal("test premise: entry already gone")
	}
	_, err := e.do(logical.ReadOperation, "lookup-self", a.ClientToken, nil)
	wantStatus(t, err, 403, "bad token")
	_, err = e.do(logical.UpdateOperation, "renew-self", a.ClientToken, nil)
	wantStatus(t, err, 400, "token not found")
	_, err = e.do(logical.UpdateOperation, "create", a.ClientToken, nil)
	wantStatus(t, err, 400, "no parent found")
	// The reaper's revocation by accessor still removes it.
	if err := e.store.RevokeAccessor(ctx, a.Accessor); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.dump()[accessorPrefix+a.Accessor]; ok {
		t.Fatal("reaped token left its accessor")
	}
}

func TestCacheDroppedOnRevoke(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.create("create", e.root.ID, map[string]any{"policies": "x", "ttl": "1h"})
	if e.lookup(a.ClientToken) == nil || !e.store.cached(a.ClientToken) {
		t.Fatal("token not cached")
	}
	gets := e.st.gets.Load()
	for range 10 {
		if e.lookup(a.ClientToken) == nil {
			t.Fatal("cached token refused")
		}
	}
	if n := e.st.gets.Load() - gets; n != 0 {
		t.Fatalf("cached look-ups read storage %d times", n)
	}
	// A renewal drops the stale copy; the next look-up sees the new expiry.
	e.clock.Advance(time.Minute)
	if _, err := e.store.Renew(ctx, e.lookup(a.ClientToken), 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := e.lookup(a.ClientToken); !got.ExpireTime.Equal(e.clock.Now().Add(2 * time.Hour)) {
		t.Fatalf("look-up after renew saw expiry %v", got.ExpireTime)
	}
	if err := e.store.RevokeTree(ctx, e.lookup(a.ClientToken)); err != nil {
		t.Fatal(err)
	}
	if e.store.cached(a.ClientToken) {
		t.Fatal("revoked token still cached")
	}
	if e.lookup(a.ClientToken) != nil {
		t.Fatal("revoked token accepted")
	}
}

func TestNoPlaintextTokenInStorage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustDo(logical.UpdateOperation, "roles/r", e.root.ID, map[string]any{"allowed_policies": "x"})
	var tokens []string
	for _, req := range []struct {
		path string
		data map[string]any
	}{
		{"create", map[string]any{"policies": "x", "ttl": "1h", "meta": map[string]any{"k": "v"}}},
		{"create-orphan", map[string]any{"policies": "x", "num_uses": 3}},
		{"create/r", nil},
		{"create", map[string]any{"id": "custom-plain-id", "policies": "y"}},
	} {
		tokens = append(tokens, e.create(req.path, e.root.ID, req.data).ClientToken)
	}
	login, err := e.store.CreateFromAuth(ctx, "auth/kubernetes/login", &logical.Auth{Policies: []string{"app"}})
	if err != nil {
		t.Fatal(err)
	}
	tokens = append(tokens, login.ID, e.root.ID)
	// Exercise renewals, uses and a partial revocation too.
	e.mustDo(logical.UpdateOperation, "renew-self", tokens[0], nil)
	if _, err := e.store.UseToken(ctx, e.lookup(tokens[1])); err != nil {
		t.Fatal(err)
	}
	e.mustDo(logical.UpdateOperation, "revoke-orphan", e.root.ID, map[string]any{"token": tokens[0]})

	for k, v := range e.dump() {
		for _, tok := range tokens {
			secret := strings.TrimPrefix(tok, "hvs.")
			if strings.Contains(k, secret) || strings.Contains(v, secret) {
				t.Fatalf("token stored in plaintext at %q", k)
			}
		}
	}
}

func TestStoreSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.create("create", e.root.ID, map[string]any{"policies": "x", "ttl": "1h"})
	again, err := NewStore(ctx, Config{Storage: e.st, System: logical.StaticSystemView{DefaultTTL: time.Hour, MaxTTL: 2 * time.Hour, Clock: e.clock.Now}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := again.Lookup(ctx, a.ClientToken)
	if err != nil || got == nil || got.Accessor != a.Accessor || got.Parent == "" {
		t.Fatalf("token after restart: %+v, %v", got, err)
	}
	if err := e.st.Put(ctx, &logical.StorageEntry{Key: saltKey, Value: []byte("short")}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewStore(ctx, Config{Storage: e.st, System: logical.StaticSystemView{}}); err == nil {
		t.Fatal("a corrupt salt was accepted")
	}
	if _, err := NewStore(ctx, Config{System: logical.StaticSystemView{}}); err == nil {
		t.Fatal("no storage accepted")
	}
	// Without any default or max TTL a login token would never expire:
	// refused.
	bare, err := NewStore(ctx, Config{Storage: logical.NewInmemStorage(), System: logical.StaticSystemView{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.CreateFromAuth(ctx, "auth/kubernetes/login", &logical.Auth{Policies: []string{"a"}}); err == nil {
		t.Fatal("a non-expiring login token was created")
	}
}
