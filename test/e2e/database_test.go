package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestDatabaseCredsLogInAndSelect: config + role → creds → the user logs
// in and can SELECT; two reads give two users; the lease and the names
// look like Vault's; GET config never shows the password.
func TestDatabaseCredsLogInAndSelect(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "1h", "24h")
	user1, pass1, s := f.creds(t, "app-rw")
	user2, pass2, _ := f.creds(t, "app-rw")
	if user1 == user2 || pass1 == pass2 {
		t.Fatalf("two reads gave the same credentials: %s %s", user1, user2)
	}
	for _, c := range [][2]string{{user1, pass1}, {user2, pass2}} {
		if !f.canLogin(t, c[0], c[1]) {
			t.Fatalf("%s cannot log in", c[0])
		}
	}
	if f.canLogin(t, user1, pass2) {
		t.Fatal("a user logged in with another user's password")
	}
	if !regexp.MustCompile(`^v-root-app-rw-[A-Za-z0-9]{20}-[0-9]+$`).MatchString(user1) || len(user1) > 63 {
		t.Errorf("username %q does not follow Vault's default template", user1)
	}
	if len(pass1) != 20 || !regexp.MustCompile(`^[A-Za-z0-9-]+$`).MatchString(pass1) ||
		!strings.ContainsAny(pass1, "abcdefghijklmnopqrstuvwxyz") || !strings.ContainsAny(pass1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") ||
		!strings.ContainsAny(pass1, "0123456789") || !strings.Contains(pass1, "-") {
		t.Errorf("password %q does not follow the default policy", pass1)
	}
	if !strings.HasPrefix(s.LeaseID, "database/creds/app-rw/") || s.LeaseDuration != 3600 || !s.Renewable {
		t.Errorf("lease: id %q duration %d renewable %v", s.LeaseID, s.LeaseDuration, s.Renewable)
	}
	if vu := f.pg.ValidUntil(t, user1); vu.Before(time.Now().Add(50*time.Minute)) || vu.After(time.Now().Add(70*time.Minute)) {
		t.Errorf("VALID UNTIL %v is not about an hour ahead", vu)
	}

	cfg, err := f.c.Logical().Read("database/config/app-db")
	must(t, err, "read config")
	details, _ := cfg.Data["connection_details"].(map[string]any)
	if details["username"] != "vaultd" || cfg.Data["plugin_name"] != "postgresql-database-plugin" {
		t.Errorf("config read: %v", cfg.Data)
	}
	if _, ok := details["password"]; ok || strings.Contains(mustJSON(t, cfg.Data), dbRootPassword) {
		t.Errorf("config read shows the password: %v", cfg.Data)
	}
	list, err := f.c.Logical().List("database/config")
	must(t, err, "list configs")
	if keys, _ := list.Data["keys"].([]any); len(keys) != 1 || keys[0] != "app-db" {
		t.Errorf("list configs: %v", list.Data)
	}
	role, err := f.c.Logical().Read("database/roles/app-rw")
	must(t, err, "read role")
	if stmts, _ := role.Data["creation_statements"].([]any); len(stmts) != 1 || stmts[0] != appRWCreation {
		t.Errorf("creation_statements came back as %v", role.Data["creation_statements"])
	}
	if jsonNumber(t, role.Data["default_ttl"]) != 3600 || jsonNumber(t, role.Data["max_ttl"]) != 86400 {
		t.Errorf("role ttls: %v %v", role.Data["default_ttl"], role.Data["max_ttl"])
	}
}

// TestDatabaseRevokeDropsUser: sys/leases/revoke → the user cannot log in
// and is gone from pg_roles; revoke-prefix drops every user of the role.
func TestDatabaseRevokeDropsUser(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "1h", "24h")
	user, pass, s := f.creds(t, "app-rw")
	must(t, f.c.Sys().Revoke(s.LeaseID), "revoke")
	if f.canLogin(t, user, pass) || f.pg.RoleExists(t, user) {
		t.Fatalf("%s still exists after revoke", user)
	}
	if ids := f.leaseIDs(t, "app-rw"); len(ids) != 0 {
		t.Fatalf("leases left: %v", ids)
	}

	var users []string
	for range 3 {
		u, _, _ := f.creds(t, "app-rw")
		users = append(users, u)
	}
	must(t, f.c.Sys().RevokePrefix("database/creds/app-rw"), "revoke-prefix")
	for _, u := range users {
		if f.pg.RoleExists(t, u) {
			t.Errorf("%s survived revoke-prefix", u)
		}
	}
	if n := f.countRoles(t, "v-"); n != 0 {
		t.Errorf("%d generated roles left", n)
	}
}

// TestDatabaseReaperDropsExpiredUser: a 3 s TTL → the expiration manager
// drops the user with no request.
func TestDatabaseReaperDropsExpiredUser(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "3s", "1h")
	user, pass, s := f.creds(t, "app-rw")
	if s.LeaseDuration != 3 {
		t.Fatalf("lease_duration %d", s.LeaseDuration)
	}
	if !f.canLogin(t, user, pass) {
		t.Fatal("cannot log in")
	}
	eventually(t, 60*time.Second, "user dropped on expiry", func() bool { return !f.pg.RoleExists(t, user) })
	eventually(t, 10*time.Second, "lease gone", func() bool { return len(f.leaseIDs(t, "app-rw")) == 0 })
}

// TestDatabaseRenewMovesValidUntil: renew moves VALID UNTIL, capped at the
// role's max_ttl.
func TestDatabaseRenewMovesValidUntil(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "10m", "1h")
	user, _, s := f.creds(t, "app-rw")
	issued := time.Now()
	before := f.pg.ValidUntil(t, user)

	r, err := f.c.Sys().Renew(s.LeaseID, int((30 * time.Minute).Seconds()))
	must(t, err, "renew")
	if r.LeaseDuration != 1800 || r.LeaseID != s.LeaseID {
		t.Fatalf("renew: duration %d id %q", r.LeaseDuration, r.LeaseID)
	}
	after := f.pg.ValidUntil(t, user)
	if after.Sub(before) < 19*time.Minute {
		t.Fatalf("VALID UNTIL moved from %v to %v, want about 20 minutes later", before, after)
	}

	r, err = f.c.Sys().Renew(s.LeaseID, int((5 * time.Hour).Seconds()))
	must(t, err, "renew past max_ttl")
	if r.LeaseDuration > 3600 || r.LeaseDuration < 3500 {
		t.Fatalf("renew past max_ttl gave %d s, want capped near 3600", r.LeaseDuration)
	}
	capped := f.pg.ValidUntil(t, user)
	if capped.After(issued.Add(time.Hour+5*time.Second)) || capped.Before(after) {
		t.Fatalf("VALID UNTIL %v not capped at issue+1h (%v)", capped, issued.Add(time.Hour))
	}
}

// TestDatabaseRotateRoot: the old root password stops working; vaultd
// still creates users.
func TestDatabaseRotateRoot(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "1h", "24h")
	f.write(t, "database/rotate-root/app-db", nil)
	ctx := t.Context()
	if c, err := f.pg.Connect(ctx, "vaultd", dbRootPassword, "app"); err == nil {
		_ = c.Close(ctx)
		t.Fatal("the old root password still logs in")
	}
	user, pass, _ := f.creds(t, "app-rw")
	if !f.canLogin(t, user, pass) {
		t.Fatal("vaultd cannot create users after rotate-root")
	}
	cfg, err := f.c.Logical().Read("database/config/app-db")
	must(t, err, "read config")
	if strings.Contains(mustJSON(t, cfg.Data), dbRootPassword) {
		t.Fatal("config shows a password")
	}
}

// TestDatabaseStaticRole: a static role takes over an existing user's
// password, serves it from static-creds, rotates on request and on
// schedule.
func TestDatabaseStaticRole(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "1h", "24h")
	f.pg.Exec(t, "CREATE ROLE app_static WITH LOGIN PASSWORD 'known-Before-1'")
	f.appExec(t, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO app_static")
	f.write(t, "database/config/app-db", map[string]any{"allowed_roles": "app-rw,static-app"})
	f.write(t, "database/static-roles/static-app", map[string]any{
		"db_name": "app-db", "username": "app_static", "rotation_period": "6s",
	})
	if f.canLogin(t, "app_static", "known-Before-1") {
		t.Fatal("the pre-existing password still works after the static role was made")
	}
	read := func() (string, string) {
		s, err := f.c.Logical().Read("database/static-creds/static-app")
		must(t, err, "static-creds")
		return s.Data["password"].(string), s.Data["last_vault_rotation"].(string)
	}
	p1, _ := read()
	if !f.canLogin(t, "app_static", p1) {
		t.Fatal("static-creds password does not log in")
	}
	f.write(t, "database/rotate-role/static-app", nil)
	p2, last2 := read()
	if p2 == p1 || !f.canLogin(t, "app_static", p2) || f.canLogin(t, "app_static", p1) {
		t.Fatal("rotate-role did not replace the password")
	}
	eventually(t, 60*time.Second, "scheduled rotation", func() bool { _, l := read(); return l != last2 })
	p3, _ := read()
	if !f.canLogin(t, "app_static", p3) || f.canLogin(t, "app_static", p2) {
		t.Fatal("scheduled rotation did not replace the password")
	}
}

// TestDatabaseSCRAMPasswords: with password_authentication=scram-sha-256
// vaultd sends a SCRAM verifier, and the user still logs in.
func TestDatabaseSCRAMPasswords(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "1h", "24h")
	f.write(t, "database/config/app-db", map[string]any{"password_authentication": "scram-sha-256"})
	user, pass, _ := f.creds(t, "app-rw")
	if !f.canLogin(t, user, pass) {
		t.Fatal("a user made with a SCRAM verifier cannot log in")
	}
	var stored string
	f.pg.WithAdmin(t, func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", user).Scan(&stored)
	})
	if !strings.HasPrefix(stored, "SCRAM-SHA-256$4096:") {
		t.Fatalf("stored password %q is not a SCRAM verifier", stored)
	}
}

// TestDatabaseConfigChangeClosesPool: rewriting a config closes the
// connections of its old pool; vaultd keeps working on the new one.
func TestDatabaseConfigChangeClosesPool(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "1h", "24h")
	f.creds(t, "app-rw")
	pids := func() map[int32]bool {
		out := map[int32]bool{}
		f.pg.WithAdmin(t, func(ctx context.Context, c *pgx.Conn) error {
			rows, err := c.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE usename = 'vaultd'")
			if err != nil {
				return err
			}
			for rows.Next() {
				var pid int32
				if err := rows.Scan(&pid); err != nil {
					return err
				}
				out[pid] = true
			}
			return rows.Err()
		})
		return out
	}
	old := pids()
	if len(old) == 0 {
		t.Fatal("no pool connections after a creds read")
	}
	f.write(t, "database/config/app-db", map[string]any{"max_open_connections": 2})
	eventually(t, 30*time.Second, "old pool's connections closed", func() bool {
		for pid := range pids() {
			if old[pid] {
				return false
			}
		}
		return true
	})
	user, pass, _ := f.creds(t, "app-rw")
	if !f.canLogin(t, user, pass) {
		t.Fatal("creds after the config change do not log in")
	}
	cfg, err := f.c.Logical().Read("database/config/app-db")
	must(t, err, "read config")
	if d := cfg.Data["connection_details"].(map[string]any); jsonNumber(t, d["max_open_connections"]) != 2 {
		t.Errorf("max_open_connections: %v", d["max_open_connections"])
	}
}

// TestDatabaseUnverifiedConfig: verify_connection=false saves a config
// that cannot connect; creds then fail with a clear error and leave no
// lease.
func TestDatabaseUnverifiedConfig(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "1h", "24h")
	f.write(t, "database/config/later", map[string]any{
		"plugin_name": "postgresql-database-plugin", "verify_connection": false,
		"connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:1/app?sslmode=disable",
		"username":       "vaultd", "password": dbRootPassword, "allowed_roles": "later-rw",
	})
	f.write(t, "database/roles/later-rw", map[string]any{"db_name": "later", "creation_statements": appRWCreation})
	_, err := f.c.Logical().Read("database/creds/later-rw")
	wantStatus(t, err, 500, "creds on an unreachable database")
	if msg := errorsOf(err); !strings.Contains(msg, "error creating user") || strings.Contains(msg, dbRootPassword) {
		t.Errorf("error %q", msg)
	}
	if ids := f.leaseIDs(t, "later-rw"); len(ids) != 0 {
		t.Errorf("leases: %v", ids)
	}
}
