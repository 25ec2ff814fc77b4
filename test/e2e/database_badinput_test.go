package e2e

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestDatabaseBadConfig: a config write that cannot work is a 400 with a
// clear message, no password in it, and nothing stored.
func TestDatabaseBadConfig(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "1h", "24h")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err, "listen")
	closed := l.Addr().String()
	l.Close()
	good := map[string]any{
		"plugin_name": "postgresql-database-plugin", "connection_url": f.pg.TemplateURL("app"),
		"username": "vaultd", "password": dbRootPassword, "allowed_roles": "*",
	}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name string
		data map[string]any
		want string
	}{
		{"unknown plugin", with("plugin_name", "mysql-database-plugin"), `unknown plugin_name "mysql-database-plugin"`},
		{"no plugin", with("plugin_name", nil), "empty plugin name"},
		{"unreachable", with("connection_url", "postgresql://{{username}}:{{password}}@"+closed+"/app?sslmode=disable"), "error verifying connection"},
		{"malformed url", with("connection_url", "postgresql://{{username}}:{{password}}@127.0.0.1:notaport/app"), "invalid connection_url"},
		{"wrong root password", with("password", "not-the-"+dbRootPassword), "error verifying connection"},
		{"no url", with("connection_url", nil), "connection_url cannot be empty"},
		{"bad auth mode", with("password_authentication", "md5"), "password_authentication"},
		{"bad template", with("username_template", "{{ nosuchfunc }}"), "username_template"},
		{"bad bool", with("verify_connection", "maybe"), `"verify_connection"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.c.Logical().Write("database/config/bad", tc.data)
			wantStatus(t, err, http.StatusBadRequest, tc.name)
			msg := errorsOf(err)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
			if strings.Contains(msg, dbRootPassword) {
				t.Errorf("error shows the root password: %q", msg)
			}
			if s, err := f.c.Logical().Read("database/config/bad"); err != nil || s != nil {
				t.Errorf("a refused config was stored: %v %v", s, err)
			}
		})
	}
}

// TestDatabaseBadCreds: a role outside allowed_roles, or whose creation
// statement fails, gives an error with PostgreSQL's message and no
// password in it, and leaves no lease and no user behind.
func TestDatabaseBadCreds(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "1h", "24h")
	f.write(t, "database/config/app-db", map[string]any{"allowed_roles": "app-rw,broken,leaky"})
	f.write(t, "database/roles/outsider", map[string]any{"db_name": "app-db", "creation_statements": appRWCreation})
	f.write(t, "database/roles/broken", map[string]any{"db_name": "app-db",
		"creation_statements": `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'; GRANT SELEC ON orders TO "{{name}}";`})
	f.write(t, "database/roles/leaky", map[string]any{"db_name": "app-db",
		"creation_statements": `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'; SELECT '{{password}}'::int;`})
	f.write(t, "database/roles/nodb", map[string]any{"db_name": "nosuch", "creation_statements": appRWCreation})

	cases := []struct {
		role   string
		status int
		want   string
	}{
		{"outsider", http.StatusBadRequest, `"outsider" is not an allowed role`},
		{"broken", http.StatusInternalServerError, `unrecognized privilege type "selec" (SQLSTATE 42601)`},
		{"leaky", http.StatusInternalServerError, `invalid input syntax for type integer: "[redacted]"`},
		{"nodb", http.StatusBadRequest, `database config "nosuch" not found`},
		{"nosuchrole", http.StatusBadRequest, "unknown role: nosuchrole"},
	}
	for _, tc := range cases {
		t.Run(tc.role, func(t *testing.T) {
			before := f.countRoles(t, "v-")
			_, err := f.c.Logical().Read("database/creds/" + tc.role)
			wantStatus(t, err, tc.status, tc.role)
			if msg := errorsOf(err); !strings.Contains(msg, tc.want) || strings.Contains(msg, dbRootPassword) {
				t.Errorf("error %q: want %q and no password", msg, tc.want)
			}
			if after := f.countRoles(t, "v-"); after != before {
				t.Errorf("%d users left behind", after-before)
			}
			if ids := f.leaseIDs(t, tc.role); len(ids) != 0 {
				t.Errorf("leases left behind: %v", ids)
			}
		})
	}
}

// TestDatabaseBadRoles: role and static-role writes that cannot work are
// 400s and store nothing.
func TestDatabaseBadRoles(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "1h", "24h")
	cases := []struct {
		name, path string
		data       map[string]any
		want       string
	}{
		{"no db", "database/roles/x", map[string]any{"creation_statements": appRWCreation}, "empty database name"},
		{"no statements", "database/roles/x", map[string]any{"db_name": "app-db"}, "empty creation statements"},
		{"ttl over max", "database/roles/x", map[string]any{"db_name": "app-db", "creation_statements": appRWCreation, "default_ttl": "2h", "max_ttl": "1h"}, "default_ttl"},
		{"bad ttl", "database/roles/x", map[string]any{"db_name": "app-db", "creation_statements": appRWCreation, "default_ttl": "soon"}, `"default_ttl"`},
		{"static quote", "database/static-roles/x", map[string]any{"db_name": "app-db", "username": `a"b`, "rotation_period": "1h"}, "quote"},
		{"static short period", "database/static-roles/x", map[string]any{"db_name": "app-db", "username": "vaultd", "rotation_period": "1s"}, "rotation_period"},
		{"static missing user", "database/static-roles/app-rw-static", map[string]any{"db_name": "app-db", "username": "nosuchuser", "rotation_period": "1h"}, "not an allowed role"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.c.Logical().Write(tc.path, tc.data)
			wantStatus(t, err, http.StatusBadRequest, tc.name)
			if msg := errorsOf(err); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
			if s, err := f.c.Logical().Read(tc.path); err != nil || s != nil {
				t.Errorf("a refused role was stored: %v %v", s, err)
			}
		})
	}
	// An allowed static role naming a user PostgreSQL does not have.
	f.write(t, "database/config/app-db", map[string]any{"allowed_roles": "*"})
	_, err := f.c.Logical().Write("database/static-roles/ghost", map[string]any{"db_name": "app-db", "username": "nosuchuser", "rotation_period": "1h"})
	wantStatus(t, err, http.StatusBadRequest, "static role for a missing user")
	if msg := errorsOf(err); !strings.Contains(msg, `role "nosuchuser" does not exist`) {
		t.Errorf("error %q", msg)
	}
	if s, _ := f.c.Logical().Read("database/static-roles/ghost"); s != nil {
		t.Error("static role for a missing user was stored")
	}
}
