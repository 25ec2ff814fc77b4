package kubernetes

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "anything", true},
		{"default", "default", true},
		{"default", "default2", false},
		{"dev-*", "dev-api", true},
		{"dev-*", "dev-", true},
		{"dev-*", "prod-api", false},
		{"*-api", "dev-api", true},
		{"*-api", "dev-db", false},
		{"team-*-prod", "team-a-prod", true},
		{"team-*-prod", "team-a-dev", false},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"", "", true},
		{"", "x", false},
	}
	for _, tt := range tests {
		if got := matchGlob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("matchGlob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestRoleBindings(t *testing.T) {
	r := &role{
		BoundServiceAccountNames:      []string{"default", "build-*"},
		BoundServiceAccountNamespaces: []string{"default", "team-*"},
	}
	tests := []struct {
		name, ns string
		wantName bool
		wantNS   bool
	}{
		{"default", "default", true, true},
		{"build-runner", "team-a", true, true},
		{"other", "default", false, true},
		{"default", "kube-system", true, false},
		{"", "", false, false},
	}
	for _, tt := range tests {
		if got := r.bindsName(tt.name); got != tt.wantName {
			t.Errorf("bindsName(%q) = %v", tt.name, got)
		}
		if got := r.bindsNamespaceByName(tt.ns); got != tt.wantNS {
			t.Errorf("bindsNamespaceByName(%q) = %v", tt.ns, got)
		}
	}
	star := &role{BoundServiceAccountNames: []string{"*"}, BoundServiceAccountNamespaces: []string{"*"}}
	if !star.bindsName("x") || !star.bindsNamespaceByName("y") {
		t.Error("* must bind everything")
	}
}

func TestRoleAllowsAddr(t *testing.T) {
	r := &role{TokenParams: tokenutil.TokenParams{TokenBoundCIDRs: []string{"10.0.0.0/8", "192.168.1.5", "fd00::/8"}}}
	tests := map[string]bool{
		"10.1.2.3":        true,
		"192.168.1.5":     true,
		"192.168.1.6":     false,
		"fd00::1":         true,
		"127.0.0.1":       false,
		"10.1.2.3:8200":   true,
		"::ffff:10.0.0.1": true,
		"":                false,
		"not-an-address":  false,
	}
	for addr, want := range tests {
		if got := r.allowsAddr(addr); got != want {
			t.Errorf("allowsAddr(%q) = %v, want %v", addr, got, want)
		}
	}
	if !(&role{}).allowsAddr("") {
		t.Error("a role without CIDRs must allow any address")
	}
}

func TestRoleWalkthroughReadBack(t *testing.T) {
	e := newTestEnv(t, Options{})
	resp := e.mustDo(t, logical.CreateOperation, "role/my-api-role", walkthroughRole)
	if resp == nil || len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "audience") {
		t.Fatalf("want the no-audience warning, got %+v", resp)
	}
	got := e.mustDo(t, logical.ReadOperation, "role/my-api-role", nil).Data
	want := map[string]any{
		"bound_service_account_names":              []string{"default"},
		"bound_service_account_namespaces":         []string{"default"},
		"bound_service_account_namespace_selector": "",
		"alias_name_source":                        "serviceaccount_uid",
		"token_policies":                           []string{"my-api-policy"},
		"policies":                                 []string{"my-api-policy"},
		"token_ttl":                                int64(3600),
		"ttl":                                      int64(3600),
		"token_max_ttl":                            int64(0),
		"token_explicit_max_ttl":                   int64(0),
		"token_period":                             int64(0),
		"token_bound_cidrs":                        []string{},
		"token_no_default_policy":                  false,
		"token_num_uses":                           int64(0),
		"token_type":                               "default",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read:\n got %v\nwant %v", got, want)
	}
}

func TestRoleLegacyAndCurrentFields(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.mustDo(t, logical.CreateOperation, "role/r", map[string]any{
		"bound_service_account_names":      []any{"a", "b"},
		"bound_service_account_namespaces": "ns1,ns2",
		"audience":                         "vault",
		"policies":                         "Web, db,web",
		"max_ttl":                          7200,
		"period":                           "30m",
		"num_uses":                         "3",
		"bound_cidrs":                      "10.0.0.0/8,127.0.0.1",
	})
	d := e.mustDo(t, logical.ReadOperation, "role/r", nil).Data
	checks := map[string]any{
		"policies":          []string{"db", "web"},
		"token_policies":    []string{"db", "web"},
		"max_ttl":           int64(7200),
		"token_max_ttl":     int64(7200),
		"period":            int64(1800),
		"token_period":      int64(1800),
		"num_uses":          int64(3),
		"token_num_uses":    int64(3),
		"bound_cidrs":       []string{"10.0.0.0/8", "127.0.0.1"},
		"token_bound_cidrs": []string{"10.0.0.0/8", "127.0.0.1"},
		"audience":          "vault",
	}
	for k, v := range checks {
		if !reflect.DeepEqual(d[k], v) {
			t.Errorf("%s = %#v, want %#v", k, d[k], v)
		}
	}
	if _, ok := d["ttl"]; ok {
		t.Error("ttl reported though never written")
	}

	// Writing the current names alone retires the legacy ones.
	e.mustDo(t, logical.UpdateOperation, "role/r", map[string]any{
		"token_policies": "ops", "token_max_ttl": "1h", "token_period": 0, "token_num_uses": 0, "token_bound_cidrs": "",
	})
	d = e.mustDo(t, logical.ReadOperation, "role/r", nil).Data
	for _, k := range []string{"policies", "max_ttl", "period", "num_uses", "bound_cidrs"} {
		if v, ok := d[k]; ok {
			t.Errorf("legacy %s still reported: %v", k, v)
		}
	}
	if !reflect.DeepEqual(d["token_policies"], []string{"ops"}) || d["token_max_ttl"] != int64(3600) {
		t.Errorf("current fields: %v %v", d["token_policies"], d["token_max_ttl"])
	}
	// Untouched fields keep their values on update.
	if !reflect.DeepEqual(d["bound_service_account_names"], []string{"a", "b"}) || d["audience"] != "vault" {
		t.Errorf("update lost bindings: %v", d)
	}

	// Given both, the current name wins and the legacy one mirrors it.
	e.mustDo(t, logical.UpdateOperation, "role/r", map[string]any{"ttl": "10m", "token_ttl": "20m"})
	d = e.mustDo(t, logical.ReadOperation, "role/r", nil).Data
	if d["ttl"] != int64(1200) || d["token_ttl"] != int64(1200) {
		t.Errorf("ttl %v token_ttl %v, want 1200 both", d["ttl"], d["token_ttl"])
	}
}

func TestRoleWriteBadInput(t *testing.T) {
	valid := func(extra map[string]any) map[string]any {
		m := map[string]any{"bound_service_account_names": "default", "bound_service_account_namespaces": "default"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		data    map[string]any
		wantMsg string
	}{
		{"no bindings at all", map[string]any{"policies": "p"}, "bound_service_account_names"},
		{"names but no namespaces", map[string]any{"bound_service_account_names": "default"}, "bound_service_account_namespaces"},
		{"namespaces but no names", map[string]any{"bound_service_account_namespaces": "default"}, "bound_service_account_names"},
		{"star mixed into names", valid(map[string]any{"bound_service_account_names": "*,web"}), "can not mix"},
		{"star mixed into namespaces", valid(map[string]any{"bound_service_account_namespaces": "*,web"}), "can not mix"},
		{"selector not YAML", valid(map[string]any{"bound_service_account_namespace_selector": "{{{"}), "bound_service_account_namespace_selector"},
		{"selector with expressions", valid(map[string]any{"bound_service_account_namespace_selector": `{"matchExpressions":[{"key":"a","operator":"Exists"}]}`}), "match expressions"},
		{"ttl not a duration", valid(map[string]any{"token_ttl": "soon"}), "token_ttl"},
		{"negative ttl", valid(map[string]any{"ttl": -5}), "ttl"},
		{"ttl above max", valid(map[string]any{"token_ttl": "2h", "token_max_ttl": "1h"}), "cannot be greater"},
		{"legacy ttl above max", valid(map[string]any{"ttl": "2h", "max_ttl": "1h"}), "should not be greater"},
		{"period above mount max", valid(map[string]any{"token_period": "800h"}), "token period"},
		{"num uses not an int", valid(map[string]any{"token_num_uses": "many"}), "token_num_uses"},
		{"negative num uses", valid(map[string]any{"token_num_uses": -1}), "cannot be negative"},
		{"bad token type", valid(map[string]any{"token_type": "forever"}), "token_type"},
		{"batch with period", valid(map[string]any{"token_type": "batch", "token_period": "1h"}), "periodic"},
		{"bad CIDR", valid(map[string]any{"token_bound_cidrs": "10.0.0.0/33"}), "token_bound_cidrs"},
		{"bad legacy CIDR", valid(map[string]any{"bound_cidrs": "nowhere"}), "bound_cidrs"},
		{"bad alias source", valid(map[string]any{"alias_name_source": "pod_name"}), "alias_name_source"},
		{"bool not a bool", valid(map[string]any{"token_no_default_policy": "maybe"}), "token_no_default_policy"},
		{"names not a list", valid(map[string]any{"bound_service_account_names": map[string]any{"a": 1}}), "bound_service_account_names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, Options{})
			_, err := e.do(logical.CreateOperation, "role/bad", tt.data)
			wantStatus(t, err, http.StatusBadRequest)
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %q does not mention %q", err, tt.wantMsg)
			}
			if n := e.storage.Len(); n != 0 {
				t.Fatalf("%d entries written by a refused request", n)
			}
		})
	}
}

func TestRoleBadUpdateKeepsRole(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.mustDo(t, logical.CreateOperation, "role/r", walkthroughRole)
	before, _ := e.storage.Get(t.Context(), "role/r")
	_, err := e.do(logical.UpdateOperation, "role/r", map[string]any{"bound_service_account_names": "", "ttl": "2h"})
	wantStatus(t, err, http.StatusBadRequest)
	after, _ := e.storage.Get(t.Context(), "role/r")
	if string(before.Value) != string(after.Value) {
		t.Fatalf("refused update changed the role:\n%s\n%s", before.Value, after.Value)
	}
}

func TestRoleListDeleteAndNames(t *testing.T) {
	e := newTestEnv(t, Options{})
	if resp := e.mustDo(t, logical.ListOperation, "role", nil); resp != nil {
		t.Fatalf("empty list = %+v, want nil (404)", resp)
	}
	for _, n := range []string{"b-role", "A.Role@x"} {
		e.mustDo(t, logical.CreateOperation, "role/"+n, walkthroughRole)
	}
	keys := e.mustDo(t, logical.ListOperation, "role/", nil).Data["keys"]
	if !reflect.DeepEqual(keys, []string{"a.role@x", "b-role"}) {
		t.Fatalf("keys = %v", keys)
	}
	// Names are case-insensitive, as in Vault.
	if e.mustDo(t, logical.ReadOperation, "role/a.ROLE@x", nil) == nil {
		t.Fatal("role not found by another case")
	}
	ok, exists, err := e.b.ExistenceCheck(t.Context(), &logical.Request{Path: "role/b-role", Storage: e.storage})
	if err != nil || !ok || !exists {
		t.Fatalf("ExistenceCheck = %v %v %v", ok, exists, err)
	}
	e.mustDo(t, logical.DeleteOperation, "role/b-role", nil)
	if resp := e.mustDo(t, logical.ReadOperation, "role/b-role", nil); resp != nil {
		t.Fatalf("deleted role still read: %+v", resp)
	}
	_, err = e.do(logical.ReadOperation, "role/-bad-", nil)
	wantStatus(t, err, http.StatusNotFound)
	_, err = e.do(logical.DeleteOperation, "login", nil)
	wantStatus(t, err, http.StatusMethodNotAllowed)
}

func TestRoleSelectorOnly(t *testing.T) {
	e := newTestEnv(t, Options{})
	sel := "matchLabels:\n  vault-access: granted\n"
	resp := e.mustDo(t, logical.CreateOperation, "role/sel", map[string]any{
		"bound_service_account_names":              "*",
		"bound_service_account_namespace_selector": sel,
		"audience":      "vault",
		"token_max_ttl": "1000h",
	})
	if resp == nil || len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "max_ttl") {
		t.Fatalf("want only the max_ttl warning, got %+v", resp)
	}
	var stored role
	entry, _ := e.storage.Get(t.Context(), "role/sel")
	if err := json.Unmarshal(entry.Value, &stored); err != nil {
		t.Fatal(err)
	}
	if stored.BoundServiceAccountNamespaceSelector != strings.TrimSpace(sel) {
		t.Fatalf("selector = %q", stored.BoundServiceAccountNamespaceSelector)
	}
}
