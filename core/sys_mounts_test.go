package core

import (
	"context"
	"testing"

	"github.com/vaultd/vaultd/cubbyhole"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage/inmem"
)

// unsealedTestCore is an initialised, unsealed in-memory core with a no-op
// engine registered, and its root token.
func unsealedTestCore(t *testing.T) (*Core, string) {
	t.Helper()
	ctx := context.Background()
	c, err := New(ctx, Config{Physical: inmem.New(), StorageType: "test", Engines: map[string]logical.Factory{
		"cubbyhole": cubbyhole.Factory,
		"noop":      func(context.Context, *logical.BackendConfig) (logical.Backend, error) { return noopBackend{}, nil },
	}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	res := initCore(t, c, 1, 1)
	unsealWith(t, c, res.Shares[0])
	t.Cleanup(func() { _ = c.Shutdown(ctx) })
	return c, res.RootToken
}

// TestMountInfoShowsConfiguredTTLs: sys/mounts, sys/mounts/<path>, sys/auth
// and sys/internal/ui/mounts/<path> give the TTLs a mount was configured
// with, 0 for "system default", as Vault does (Terraform compares them with
// its configuration, the CLI prints 0 as "system"); the tune endpoint gives
// the effective TTLs. Auth mounts carry token_type, secret mounts do not.
func TestMountInfoShowsConfiguredTTLs(t *testing.T) {
	c, root := unsealedTestCore(t)
	ctx := context.Background()
	do := func(op logical.Operation, path string, data map[string]any) *logical.Response {
		t.Helper()
		resp, err := c.HandleRequest(ctx, rootRequest(root, op, path, data))
		if err != nil {
			t.Fatalf("%s %s: %v", op, path, err)
		}
		return resp
	}
	// The body the vault CLI sends for "secrets enable": "0s" TTLs.
	do(logical.UpdateOperation, "sys/mounts/plain", map[string]any{"type": "noop",
		"config": map[string]any{"default_lease_ttl": "0s", "max_lease_ttl": "0s", "force_no_cache": false, "options": nil}})
	do(logical.UpdateOperation, "sys/mounts/set", map[string]any{"type": "noop",
		"config": map[string]any{"default_lease_ttl": "1h", "max_lease_ttl": "2h"}})
	effective := do(logical.ReadOperation, "sys/mounts/plain/tune", nil).Data

	list := do(logical.ReadOperation, "sys/mounts", nil).Data
	auths := do(logical.ReadOperation, "sys/auth", nil).Data
	cases := []struct {
		name            string
		info            any
		wantDef, wantMx int64
		wantTokenType   bool
	}{
		{"sys/mounts plain/", list["plain/"], 0, 0, false},
		{"sys/mounts set/", list["set/"], 3600, 7200, false},
		{"sys/mounts/plain", do(logical.ReadOperation, "sys/mounts/plain", nil).Data, 0, 0, false},
		{"ui mounts plain", do(logical.ReadOperation, "sys/internal/ui/mounts/plain/x", nil).Data, 0, 0, false},
		{"sys/auth token/", auths["token/"], 0, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, ok := tc.info.(map[string]any)
			if !ok {
				t.Fatalf("no mount info: %#v", tc.info)
			}
			cfg := info["config"].(map[string]any)
			if cfg["default_lease_ttl"] != tc.wantDef || cfg["max_lease_ttl"] != tc.wantMx {
				t.Errorf("config TTLs %v/%v, want %d/%d", cfg["default_lease_ttl"], cfg["max_lease_ttl"], tc.wantDef, tc.wantMx)
			}
			if _, has := cfg["token_type"]; has != tc.wantTokenType {
				t.Errorf("token_type present=%v, want %v (%v)", has, tc.wantTokenType, cfg)
			}
		})
	}
	if d, _ := effective["default_lease_ttl"].(int64); d <= 0 {
		t.Errorf("tune read of an untuned mount gives default_lease_ttl %v, want the effective system default", effective["default_lease_ttl"])
	}
	if m, _ := effective["max_lease_ttl"].(int64); m <= 0 {
		t.Errorf("tune read of an untuned mount gives max_lease_ttl %v, want the effective system default", effective["max_lease_ttl"])
	}
	tokTune := do(logical.ReadOperation, "sys/auth/token/tune", nil).Data
	if tokTune["token_type"] != "default-service" {
		t.Errorf("sys/auth/token/tune token_type = %v, want default-service", tokTune["token_type"])
	}
}

// TestTuneTTLs: a tune changes only the TTLs it names. As in Vault, "" (what
// the CLI's "secrets tune" sends for the TTL it was not asked to change) and
// null leave a TTL alone, "system" and "0s" reset it to the system default,
// and a bad value is a 400 that changes nothing.
func TestTuneTTLs(t *testing.T) {
	c, root := unsealedTestCore(t)
	ctx := context.Background()
	call := func(op logical.Operation, path string, data map[string]any) (*logical.Response, error) {
		return c.HandleRequest(ctx, rootRequest(root, op, path, data))
	}
	if _, err := call(logical.UpdateOperation, "sys/mounts/m", map[string]any{"type": "noop"}); err != nil {
		t.Fatalf("mount: %v", err)
	}
	configured := func() (int64, int64) {
		t.Helper()
		resp, err := call(logical.ReadOperation, "sys/mounts/m", nil)
		if err != nil {
			t.Fatalf("read mount: %v", err)
		}
		cfg := resp.Data["config"].(map[string]any)
		return cfg["default_lease_ttl"].(int64), cfg["max_lease_ttl"].(int64)
	}
	cases := []struct {
		name             string
		body             map[string]any
		wantErr          bool
		wantDef, wantMax int64
	}{
		{"set both", map[string]any{"default_lease_ttl": "1h", "max_lease_ttl": "2h"}, false, 3600, 7200},
		{"CLI: default only, max empty", map[string]any{"options": nil, "default_lease_ttl": "30m", "max_lease_ttl": "", "force_no_cache": false}, false, 1800, 7200},
		{"null max", map[string]any{"default_lease_ttl": 600, "max_lease_ttl": nil}, false, 600, 7200},
		{"seconds as text", map[string]any{"max_lease_ttl": "5400"}, false, 600, 5400},
		{"system resets default", map[string]any{"default_lease_ttl": "system"}, false, 0, 5400},
		{"0s resets max", map[string]any{"max_lease_ttl": "0s"}, false, 0, 0},
		{"set again", map[string]any{"default_lease_ttl": "1h", "max_lease_ttl": "2h"}, false, 3600, 7200},
		{"bad duration", map[string]any{"default_lease_ttl": "banana"}, true, 3600, 7200},
		{"bool duration", map[string]any{"max_lease_ttl": true}, true, 3600, 7200},
		{"negative", map[string]any{"max_lease_ttl": "-1h"}, true, 3600, 7200},
		{"default above max", map[string]any{"default_lease_ttl": "3h"}, true, 3600, 7200},
	}
	for _, tc := range cases {
		_, err := call(logical.UpdateOperation, "sys/mounts/m/tune", tc.body)
		if tc.wantErr {
			if err == nil || logical.StatusOf(err) != 400 {
				t.Errorf("%s: err %v (status %d), want a 400", tc.name, err, logical.StatusOf(err))
			}
		} else if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if d, m := configured(); d != tc.wantDef || m != tc.wantMax {
			t.Errorf("%s: TTLs %d/%d, want %d/%d", tc.name, d, m, tc.wantDef, tc.wantMax)
		}
	}
}

// TestReadMissingMount: reading a mount that does not exist is a 400 with
// Vault's words, which Terraform's provider matches to drop a mount that was
// deleted out of band from its state.
func TestReadMissingMount(t *testing.T) {
	c, root := unsealedTestCore(t)
	cases := []struct{ path, want string }{
		{"sys/mounts/nosuch", "No secret engine mount at nosuch/"},
		{"sys/mounts/no/such", "No secret engine mount at no/such/"},
		{"sys/auth/nosuch", "No auth engine at nosuch/"},
	}
	for _, tc := range cases {
		_, err := c.HandleRequest(context.Background(), rootRequest(root, logical.ReadOperation, tc.path, nil))
		if err == nil || logical.StatusOf(err) != 400 || err.Error() != tc.want {
			t.Errorf("%s: %v (status %d), want 400 %q", tc.path, err, logical.StatusOf(err), tc.want)
		}
	}
}

// TestUIMountsListingVisibility: sys/internal/ui/mounts answers a caller
// without a token, as Vault does, with only the mounts tuned to
// listing_visibility "unauth" and only their type, description and
// options; a token also sees those mounts, in full, besides the ones its
// policies reach. Nothing else is served without a token.
func TestUIMountsListingVisibility(t *testing.T) {
	c, root := unsealedTestCore(t)
	ctx := context.Background()
	call := func(token string, op logical.Operation, path string, data map[string]any) (*logical.Response, error) {
		return c.HandleRequest(ctx, &logical.Request{Operation: op, Path: path, ClientToken: token, Data: data})
	}
	must := func(token string, op logical.Operation, path string, data map[string]any) *logical.Response {
		t.Helper()
		resp, err := call(token, op, path, data)
		if err != nil {
			t.Fatalf("%s %s: %v", op, path, err)
		}
		return resp
	}
	must(root, logical.UpdateOperation, "sys/mounts/pub", map[string]any{"type": "noop", "description": "public"})
	must(root, logical.UpdateOperation, "sys/mounts/priv", map[string]any{"type": "noop"})
	must(root, logical.UpdateOperation, "sys/mounts/pub/tune", map[string]any{"listing_visibility": "unauth"})
	must(root, logical.UpdateOperation, "sys/auth/token/tune", map[string]any{"listing_visibility": "unauth"})
	plain := must(root, logical.UpdateOperation, "auth/token/create", map[string]any{"policies": "default"}).Auth.ClientToken

	cases := []struct {
		name, token       string
		wantSecret        []string
		wantAuth          []string
		wantFullInfoOnPub bool
	}{
		{"no token", "", []string{"pub/"}, []string{"token/"}, false},
		{"default-policy token", plain, []string{"cubbyhole/", "pub/", "sys/"}, []string{"token/"}, true},
	}
	for _, tc := range cases {
		data := must(tc.token, logical.ReadOperation, "sys/internal/ui/mounts", nil).Data
		for _, part := range []struct {
			key  string
			want []string
		}{{"secret", tc.wantSecret}, {"auth", tc.wantAuth}} {
			got := data[part.key].(map[string]any)
			if len(got) != len(part.want) {
				t.Errorf("%s: %s mounts %v, want %v", tc.name, part.key, keysOf(got), part.want)
			}
			for _, w := range part.want {
				if _, ok := got[w]; !ok {
					t.Errorf("%s: %s mounts %v lack %s", tc.name, part.key, keysOf(got), w)
				}
			}
		}
		pub, _ := data["secret"].(map[string]any)["pub/"].(map[string]any)
		if _, full := pub["accessor"]; full != tc.wantFullInfoOnPub || pub["type"] != "noop" || pub["description"] != "public" {
			t.Errorf("%s: pub/ shown as %v", tc.name, pub)
		}
	}
	for _, tc := range []struct{ name, token, path string }{
		{"one mount without a token", "", "sys/internal/ui/mounts/pub"},
		{"sys/mounts without a token", "", "sys/mounts"},
		{"listing with a bad token", "hvs.nosuch", "sys/internal/ui/mounts"},
	} {
		if _, err := call(tc.token, logical.ReadOperation, tc.path, nil); logical.StatusOf(err) != 403 {
			t.Errorf("%s: %v, want a 403", tc.name, err)
		}
	}
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
