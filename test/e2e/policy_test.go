package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

const walkthroughPolicy = `path "secret/data/my-api" {
  capabilities = ["read"]
}`

// tokenWith creates a token holding exactly the given policies (plus
// default) and returns a client for it.
func tokenWith(t *testing.T, s *vaulttest.Server, policies ...string) *api.Client {
	t.Helper()
	sec, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{Policies: policies})
	must(t, err, "create token")
	return s.NewClient(sec.Auth.ClientToken)
}

func TestWalkthroughPolicy(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	kv := s.Client.KVv2("secret")
	_, err := kv.Put(t.Context(), "my-api", map[string]any{"DB_PASSWORD": "supersecret"})
	must(t, err, "put my-api")
	_, err = kv.Put(t.Context(), "payment-processor", map[string]any{"KEY": "card"})
	must(t, err, "put payment-processor")
	must(t, s.Client.Sys().PutPolicy("my-api-policy", walkthroughPolicy), "write policy")

	c := tokenWith(t, s, "my-api-policy")
	got, err := c.KVv2("secret").Get(t.Context(), "my-api")
	must(t, err, "read allowed path")
	if got.Data["DB_PASSWORD"] != "supersecret" {
		t.Fatalf("read %v", got.Data)
	}
	denied := []struct {
		name, method, path string
		body               any
	}{
		{"other secret", http.MethodGet, "secret/data/payment-processor", nil},
		{"write own secret", http.MethodPost, "secret/data/my-api", map[string]any{"data": map[string]any{"x": "y"}}},
		{"write new secret", http.MethodPost, "secret/data/new", map[string]any{"data": map[string]any{"x": "y"}}},
		{"list metadata", "LIST", "secret/metadata/", nil},
		{"delete", http.MethodDelete, "secret/data/my-api", nil},
		{"sys mounts", http.MethodGet, "sys/mounts", nil},
		{"missing path", http.MethodGet, "secret/data/does-not-exist", nil},
	}
	for _, d := range denied {
		status, body := raw(t, c, d.method, d.path, d.body)
		if status != http.StatusForbidden || !strings.Contains(strings.Join(anyStrings(body["errors"]), ","), "permission denied") {
			t.Errorf("%s: want 403 permission denied, got %d %v", d.name, status, body)
		}
	}
	// The secret is unchanged by the refused write.
	got, err = s.Client.KVv2("secret").Get(t.Context(), "my-api")
	must(t, err, "root read")
	if got.VersionMetadata.Version != 1 {
		t.Fatalf("a refused write made version %d", got.VersionMetadata.Version)
	}
}

func TestPolicyChangeTakesEffectAtOnce(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	_, err := s.Client.KVv2("secret").Put(t.Context(), "app/db", map[string]any{"pw": "1"})
	must(t, err, "seed")
	must(t, s.Client.Sys().PutPolicy("app", `path "secret/data/app/*" { capabilities = ["read", "list"] }`), "policy v1")
	c := tokenWith(t, s, "app")

	_, err = c.KVv2("secret").Get(t.Context(), "app/db")
	must(t, err, "read under v1")
	caps, err := c.Sys().CapabilitiesSelf("secret/data/app/db")
	must(t, err, "capabilities-self v1")
	if strings.Join(caps, ",") != "list,read" {
		t.Fatalf("capabilities-self under v1: %v", caps)
	}
	_, err = c.KVv2("secret").Put(t.Context(), "app/db", map[string]any{"pw": "2"})
	wantStatus(t, err, http.StatusForbidden, "write under v1")

	must(t, s.Client.Sys().PutPolicy("app", `path "secret/data/app/*" { capabilities = ["create", "update", "read"] }
path "secret/data/app/db" { capabilities = ["deny"] }`), "policy v2")
	_, err = c.KVv2("secret").Get(t.Context(), "app/db")
	wantStatus(t, err, http.StatusForbidden, "read of a path v2 denies")
	_, err = c.KVv2("secret").Put(t.Context(), "app/other", map[string]any{"pw": "3"})
	must(t, err, "write under v2")
	caps, err = c.Sys().CapabilitiesSelf("secret/data/app/db")
	must(t, err, "capabilities-self v2")
	if strings.Join(caps, ",") != "deny" {
		t.Fatalf("capabilities-self under v2: %v", caps)
	}
	caps, err = s.Client.Sys().Capabilities(c.Token(), "secret/data/app/other")
	must(t, err, "capabilities for another token")
	if strings.Join(caps, ",") != "create,read,update" {
		t.Fatalf("sys/capabilities: %v", caps)
	}

	must(t, s.Client.Sys().DeletePolicy("app"), "delete policy")
	_, err = c.KVv2("secret").Get(t.Context(), "app/other")
	wantStatus(t, err, http.StatusForbidden, "read after the policy is deleted")
}

func TestUIMountsShowOnlyReachableMounts(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	must(t, s.Client.Sys().Mount("hidden", &api.MountInput{Type: "kv"}), "mount hidden")
	must(t, s.Client.Sys().PutPolicy("my-api-policy", walkthroughPolicy), "policy")
	c := tokenWith(t, s, "my-api-policy")
	sec, err := c.Logical().Read("sys/internal/ui/mounts")
	must(t, err, "ui mounts")
	secrets := sec.Data["secret"].(map[string]any)
	if _, ok := secrets["secret/"]; !ok {
		t.Errorf("secret/ not visible to a token that can read under it: %v", keys(secrets))
	}
	if _, ok := secrets["hidden/"]; ok {
		t.Errorf("hidden/ visible to a token with no rights there")
	}
	one, err := c.Logical().Read("sys/internal/ui/mounts/secret/data/my-api")
	must(t, err, "ui mount of a path")
	if one.Data["type"] != "kv" || one.Data["path"] != "secret/" || one.Data["options"].(map[string]any)["version"] != "2" {
		t.Fatalf("ui mount: %v", one.Data)
	}
	status, _ := raw(t, c, http.MethodGet, "sys/internal/ui/mounts/hidden/x", nil)
	if status != http.StatusForbidden {
		t.Fatalf("ui mount of a hidden path: %d", status)
	}
}

func TestPolicyBadInput(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	cases := []struct {
		name, path, text, wantInError string
	}{
		{"syntax error names the line", "sys/policies/acl/bad", "path \"a\" {\n capabilities = [\"read\"]\n\n  oops = \n}", "line"},
		{"unknown capability", "sys/policies/acl/bad", `path "a" { capabilities = ["fly"] }`, "fly"},
		{"unknown key", "sys/policies/acl/bad", `path "a" { capabilites = ["read"] }`, "capabilites"},
		{"name with slash", "sys/policies/acl/a/b", `path "a" { capabilities = ["read"] }`, ""},
		{"empty name", "sys/policies/acl/", `path "a" { capabilities = ["read"] }`, ""},
		{"update root", "sys/policies/acl/root", `path "a" { capabilities = ["read"] }`, "root"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := raw(t, s.Client, http.MethodPut, tc.path, map[string]any{"policy": tc.text})
			msg := strings.Join(anyStrings(body["errors"]), " ")
			if status != http.StatusBadRequest || !strings.Contains(msg, tc.wantInError) {
				t.Fatalf("want 400 mentioning %q, got %d %q", tc.wantInError, status, msg)
			}
		})
	}
	for _, name := range []string{"root", "default"} {
		wantStatus(t, s.Client.Sys().DeletePolicy(name), http.StatusBadRequest, "delete "+name)
	}
	list, err := s.Client.Sys().ListPolicies()
	must(t, err, "list")
	if strings.Join(list, ",") != "default,root" {
		t.Fatalf("refused writes left policies behind: %v", list)
	}
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
