package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/jackc/pgx/v5"

	"github.com/vaultd/vaultd/test/pg"
	"github.com/vaultd/vaultd/vaulttest"
)

// dbRootPassword is the password the fixture gives vaultd's root user in
// PostgreSQL (a test value; rotate-root replaces it).
const dbRootPassword = "root-Secret-4711"

// appRWCreation is the creation statement for app-rw.
const appRWCreation = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`

// dbFixture is a real PostgreSQL with an "app" database owned by the
// "vaultd" superuser and a table in it, and a vaultd with the database
// engine mounted at database/, config app-db and role app-rw.
type dbFixture struct {
	pg  *pg.Server
	srv *vaulttest.Server
	c   *api.Client
}

func startDatabase(t testing.TB, opts vaulttest.Options, roleTTL, roleMaxTTL string) *dbFixture {
	t.Helper()
	p := pg.Start(t)
	p.Exec(t, "CREATE ROLE vaultd WITH LOGIN SUPERUSER PASSWORD '"+dbRootPassword+"'")
	p.Exec(t, "CREATE DATABASE app OWNER vaultd")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := p.Connect(ctx, "vaultd", dbRootPassword, "app")
	if err != nil {
		t.Fatalf("connect app: %v", err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders VALUES (1, 'tea')"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	_ = conn.Close(ctx)

	opts.NoKV = true
	srv := vaulttest.Start(t, opts)
	f := &dbFixture{pg: p, srv: srv, c: srv.Client}
	dbMust(t, f.c.Sys().Mount("database", &api.MountInput{Type: "database"}), "enable database")
	f.write(t, "database/config/app-db", map[string]any{
		"plugin_name":    "postgresql-database-plugin",
		"connection_url": p.TemplateURL("app"),
		"username":       "vaultd", "password": dbRootPassword,
		"allowed_roles": "app-rw",
	})
	f.write(t, "database/roles/app-rw", map[string]any{
		"db_name": "app-db", "default_ttl": roleTTL, "max_ttl": roleMaxTTL,
		"creation_statements": appRWCreation,
	})
	return f
}

func (f *dbFixture) write(t testing.TB, path string, data map[string]any) *api.Secret {
	t.Helper()
	s, err := f.c.Logical().Write(path, data)
	dbMust(t, err, "write "+path)
	return s
}

// creds reads database/creds/<role> and returns the user, password and
// the lease.
func (f *dbFixture) creds(t testing.TB, role string) (user, password string, s *api.Secret) {
	t.Helper()
	s, err := f.c.Logical().Read("database/creds/" + role)
	dbMust(t, err, "read creds")
	if s == nil || s.Data == nil {
		t.Fatal("read creds: empty response")
	}
	user, _ = s.Data["username"].(string)
	password, _ = s.Data["password"].(string)
	if user == "" || password == "" {
		t.Fatalf("creds without username or password: %v", s.Data)
	}
	return user, password, s
}

// canLogin reports whether user/password can log in to "app" and SELECT.
func (f *dbFixture) canLogin(t testing.TB, user, password string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := f.pg.Connect(ctx, user, password, "app")
	if err != nil {
		return false
	}
	defer conn.Close(ctx)
	var item string
	if err := conn.QueryRow(ctx, "SELECT item FROM orders WHERE id = 1").Scan(&item); err != nil {
		t.Fatalf("%s logged in but cannot SELECT: %v", user, err)
	}
	return item == "tea"
}

// countRoles counts the PostgreSQL roles whose name starts with prefix.
func (f *dbFixture) countRoles(t testing.TB, prefix string) int {
	t.Helper()
	var n int
	f.pg.WithAdmin(t, func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE starts_with(rolname, $1)", prefix).Scan(&n)
	})
	return n
}

// leaseIDs lists the live leases under database/creds/<role>/.
func (f *dbFixture) leaseIDs(t testing.TB, role string) []string {
	t.Helper()
	s, err := f.c.Logical().List("sys/leases/lookup/database/creds/" + role + "/")
	dbMust(t, err, "list leases")
	if s == nil {
		return nil
	}
	raw, _ := s.Data["keys"].([]any)
	out := make([]string, 0, len(raw))
	for _, k := range raw {
		out = append(out, k.(string))
	}
	return out
}

// eventually polls cond every 100ms until it holds, failing after limit.
// The limit is generous: it bounds a hang, it does not measure speed.
func eventually(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func jsonNumber(t testing.TB, v any) int64 {
	t.Helper()
	n, err := v.(json.Number).Int64()
	dbMust(t, err, "number")
	return n
}

func errorsOf(err error) string {
	if re, ok := err.(*api.ResponseError); ok {
		return strings.Join(re.Errors, "; ")
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	dbMust(t, err, "json")
	return string(b)
}

// appExec runs SQL as a superuser in the "app" database.
func (f *dbFixture) appExec(t testing.TB, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := f.pg.Connect(ctx, pg.Superuser, f.pg.Password, "app")
	dbMust(t, err, "connect app")
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	dbMust(t, err, sql)
}

// dbMust is must for tests and benchmarks.
func dbMust(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
