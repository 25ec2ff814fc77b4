package database

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func TestPasswordPolicy(t *testing.T) {
	re := regexp.MustCompile(`^[a-zA-Z0-9-]{20}$`)
	seen := map[string]bool{}
	for range 500 {
		p, err := generatePassword()
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(p) || !strings.ContainsAny(p, lowerChars) || !strings.ContainsAny(p, upperChars) ||
			!strings.ContainsAny(p, digitChars) || !strings.Contains(p, "-") {
			t.Fatalf("%q breaks the policy", p)
		}
		if seen[p] {
			t.Fatalf("%q drawn twice", p)
		}
		seen[p] = true
	}
}

func TestDefaultUsernameTemplate(t *testing.T) {
	now := func() time.Time { return time.Unix(1700000000, 0) }
	cases := []struct{ display, role, want string }{
		{"root", "app-rw", `^v-root-app-rw-[A-Za-z0-9]{20}-1700000000$`},
		{"kubernetes-default-app", "readonly-role-long", `^v-kubernet-readonly-[A-Za-z0-9]{20}-1700000000$`},
		{"", "r", `^v--r-[A-Za-z0-9]{20}-1700000000$`},
	}
	for _, tc := range cases {
		got, err := renderUsername("", tc.display, tc.role, now)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(tc.want).MatchString(got) || len(got) > maxIdentifierLength {
			t.Errorf("%s/%s → %q, want %s", tc.display, tc.role, got, tc.want)
		}
	}
	long, err := renderUsername(`{{ printf "%s-%s-%s" .RoleName (random 60) (unix_time) | truncate 63 }}`, "d", "role", now)
	if err != nil || len(long) != 63 {
		t.Errorf("truncate 63: %q %v", long, err)
	}
}

func TestUsernameTemplateRefusesUnsafeNames(t *testing.T) {
	now := time.Now
	for _, tmpl := range []string{`{{ .RoleName }}"; DROP TABLE x; --`, `a'b`, `{{ random 70 }}`, ``} {
		if tmpl == "" {
			continue
		}
		if name, err := renderUsername(tmpl, "d", "r", now); err == nil {
			t.Errorf("template %q gave %q", tmpl, name)
		}
	}
	if _, err := parseUsernameTemplate("{{ nosuch }}", now); err == nil {
		t.Error("unknown function accepted")
	}
}

func TestStatementsAreNotSplitOnCommas(t *testing.T) {
	stmt := `GRANT SELECT, INSERT ON t TO "{{name}}";`
	cases := []struct {
		raw  any
		want []string
	}{
		{stmt, []string{stmt}},
		{[]any{stmt, "SELECT 1"}, []string{stmt, "SELECT 1"}},
		{`["a, b", "c"]`, []string{"a, b", "c"}},
	}
	for _, tc := range cases {
		got, ok, err := statements(&logical.Request{Data: map[string]any{"s": tc.raw}}, "s")
		if err != nil || !ok || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%v → %v %v %v", tc.raw, got, ok, err)
		}
	}
	if _, _, err := statements(&logical.Request{Data: map[string]any{"s": 5.5}}, "s"); logical.StatusOf(err) != 400 {
		t.Errorf("a number as statements: %v", err)
	}
}

func TestRedactor(t *testing.T) {
	r := redactor{"s3cret", ""}
	err := r.Error(errors.New(`bad value "s3cret" near s3cret`))
	if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatal(err)
	}
}

func TestSCRAMVerifierFormat(t *testing.T) {
	v, err := scramVerifier("pw")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$`).MatchString(v) || strings.Contains(v, "pw$") {
		t.Fatalf("verifier %q", v)
	}
	w, _ := scramVerifier("pw")
	if v == w {
		t.Fatal("two verifiers share a salt")
	}
}

func TestAllowedRoles(t *testing.T) {
	c := &dbConfig{AllowedRoles: []string{"app-rw", "team-*"}}
	for role, want := range map[string]bool{"app-rw": true, "app-ro": false, "team-a": true, "tea": false} {
		if c.allows(role) != want {
			t.Errorf("allows(%q) = %v", role, !want)
		}
	}
	if (&dbConfig{}).allows("x") || !(&dbConfig{AllowedRoles: []string{"*"}}).allows("x") {
		t.Error("empty or * allowed_roles")
	}
}

// TestRoutingWithoutDatabase covers the paths that need no server: unknown
// paths, lists of nothing, a role that cannot exist, names that are refused.
func TestRoutingWithoutDatabase(t *testing.T) {
	st := logical.NewInmemStorage()
	be, err := Factory(context.Background(), &logical.BackendConfig{Storage: st, System: logical.StaticSystemView{DefaultTTL: time.Hour, MaxTTL: 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	b := be.(*Backend)
	defer b.Cleanup(context.Background())
	do := func(op logical.Operation, path string, data map[string]any) (*logical.Response, error) {
		return b.HandleRequest(context.Background(), &logical.Request{Operation: op, Path: path, Data: data, Storage: st})
	}
	cases := []struct {
		op     logical.Operation
		path   string
		data   map[string]any
		status int
	}{
		{logical.ReadOperation, "nosuch/x", nil, 404},
		{logical.ReadOperation, "creds/none", nil, 400},
		{logical.ReadOperation, "creds/bad name", nil, 400},
		{logical.UpdateOperation, "config/x", map[string]any{"plugin_name": "mysql-database-plugin", "connection_url": "postgres://h/db"}, 400},
		{logical.UpdateOperation, "config/x", map[string]any{"plugin_name": PluginPostgres, "connection_url": "postgres://h/db", "password_policy": "p"}, 400},
		{logical.UpdateOperation, "config/x", map[string]any{"plugin_name": PluginPostgres, "connection_url": "postgres://h/db", "max_open_connections": "many"}, 400},
		{logical.UpdateOperation, "rotate-root/x", nil, 400},
		{logical.UpdateOperation, "rotate-role/x", nil, 400},
		{logical.DeleteOperation, "creds/x", nil, 405},
	}
	for _, tc := range cases {
		_, err := do(tc.op, tc.path, tc.data)
		if logical.StatusOf(err) != tc.status {
			t.Errorf("%s %s: %v, want %d", tc.op, tc.path, err, tc.status)
		}
	}
	for _, p := range []string{"config", "roles/", "static-roles"} {
		if resp, err := do(logical.ListOperation, p, nil); resp != nil || err != nil {
			t.Errorf("list %s: %v %v", p, resp, err)
		}
	}
	if st.Len() != 0 {
		t.Errorf("refused requests wrote %d entries", st.Len())
	}
}
