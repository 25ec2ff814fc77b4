package agent_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/test/pg"
	"github.com/vaultd/vaultd/vaulttest"
)

// dynamicTemplate is issue 16's template: one line "<username> <password>".
const dynamicTemplate = `{{ with secret "database/creds/app-rw" }}{{ .Data.username }} {{ .Data.password }}{{ end }}`

const dbRootPassword = "root-Secret-4711"

// startDynamicDB starts a real PostgreSQL with an "app" database and a
// table in it, and a vaultd with the database engine at database/,
// config app-db and role app-rw with the given TTLs. It returns the
// server, the cluster and a token that may read app-rw's credentials
// (and, through the default policy, renew their leases).
func startDynamicDB(t *testing.T, defaultTTL, maxTTL string) (*vaulttest.Server, *pg.Server, string) {
	t.Helper()
	p := pg.Start(t)
	p.Exec(t, "CREATE ROLE vaultd WITH LOGIN SUPERUSER PASSWORD '"+dbRootPassword+"'")
	p.Exec(t, "CREATE DATABASE app OWNER vaultd")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := p.Connect(ctx, "vaultd", dbRootPassword, "app")
	must(t, err, "connect app")
	_, err = conn.Exec(ctx, "CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders VALUES (1, 'tea')")
	must(t, err, "create table")
	_ = conn.Close(ctx)

	s := vaulttest.Start(t, vaulttest.Options{NoKV: true})
	c := s.Client
	must(t, c.Sys().Mount("database", &api.MountInput{Type: "database"}), "enable database")
	_, err = c.Logical().Write("database/config/app-db", map[string]any{
		"plugin_name":    "postgresql-database-plugin",
		"connection_url": p.TemplateURL("app"),
		"username":       "vaultd", "password": dbRootPassword,
		"allowed_roles": "app-rw",
	})
	must(t, err, "database config")
	_, err = c.Logical().Write("database/roles/app-rw", map[string]any{
		"db_name": "app-db", "default_ttl": defaultTTL, "max_ttl": maxTTL,
		"creation_statements": `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; ` +
			`GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`,
	})
	must(t, err, "database role")
	must(t, c.Sys().PutPolicy("app-db", `path "database/creds/app-rw" { capabilities = ["read"] }`), "policy")
	tok, err := c.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"app-db"}, TTL: "1h"})
	must(t, err, "token create")
	return s, p, tok.Auth.ClientToken
}

// dbCreds is what the template rendered: "<username> <password>".
type dbCreds struct{ user, password string }

func renderedCreds(path string) (dbCreds, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return dbCreds{}, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return dbCreds{}, false
	}
	return dbCreds{user: f[0], password: f[1]}, true
}

// selects reports whether the credentials log in to "app" and SELECT.
func selects(t *testing.T, p *pg.Server, c dbCreds) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := p.Connect(ctx, c.user, c.password, "app")
	if err != nil {
		return false
	}
	defer conn.Close(ctx)
	var item string
	if err := conn.QueryRow(ctx, "SELECT item FROM orders WHERE id = 1").Scan(&item); err != nil {
		t.Fatalf("%s logged in but cannot SELECT: %v", c.user, err)
	}
	return item == "tea"
}

// leaseOf returns the lease ID of the one live app-rw lease ("" unless
// exactly one is live).
func leaseOf(t *testing.T, c *api.Client) string {
	t.Helper()
	s, err := c.Logical().List("sys/leases/lookup/database/creds/app-rw/")
	must(t, err, "list leases")
	if s == nil {
		return ""
	}
	keys, _ := s.Data["keys"].([]any)
	if len(keys) != 1 {
		return ""
	}
	return "database/creds/app-rw/" + keys[0].(string)
}

// TestAgentRendersAndRenewsDatabaseCreds is issue 16's agent flow against
// a real PostgreSQL and the real agent process: the agent renders
// database/creds/app-rw, the credentials log in and SELECT; the agent
// renews the lease (at about two thirds of it: last_renewal is set and
// VALID UNTIL moves) until max_ttl, then reads new credentials and
// renders them, and vaultd's reaper drops the old user when its lease
// ends; credentials revoked under the agent are replaced too. Nothing is timed: every step is polled with a generous deadline.
func TestAgentRendersAndRenewsDatabaseCreds(t *testing.T) {
	const defaultTTL, maxTTL = 6 * time.Second, 20 * time.Second
	s, p, token := startDynamicDB(t, "6s", "20s")
	dir := t.TempDir()
	pd := &pod{dir: dir}
	tokenFile := filepath.Join(dir, "token")
	must(t, os.WriteFile(tokenFile, []byte(token), 0o600), "token file")
	cfg := pd.writeConfig(t, "agent.hcl", `vault { address = "`+s.Addr+`" }
auto_auth {
  method "token_file" {
    config = { token_file_path = "`+tokenFile+`" }
  }
}
template {
  destination = "`+pd.dest()+`"
  perms       = "0600"
  contents    = <<EOT
`+dynamicTemplate+`
EOT
}
`)
	a := startAgent(t, nil, "-config="+cfg)

	// 1. Rendered, and the credentials work.
	var first dbCreds
	eventually(t, time.Minute, "first render of database/creds/app-rw", func() bool {
		var ok bool
		first, ok = renderedCreds(pd.dest())
		return ok
	})
	if !strings.HasPrefix(first.user, "v-token-app-rw-") {
		t.Fatalf("rendered username %q is not from Vault's default template", first.user)
	}
	if !selects(t, p, first) {
		t.Fatalf("the rendered credentials of %s do not log in", first.user)
	}
	lease := leaseOf(t, s.Client)
	if lease == "" {
		t.Fatal("no single app-rw lease after the first render")
	}
	issued := p.ValidUntil(t, first.user)

	// 2. The agent renews the lease, and keeps renewing it: the runner
	// renews as soon as it holds the secret, then at about two thirds of
	// each lease. Wait for a renewal at least half a lease after issue
	// (so not only the first one), seen both by vaultd (last_renewal) and
	// by PostgreSQL (VALID UNTIL moved that far), while the file still
	// holds the first credentials (renewed, not read anew).
	eventually(t, time.Minute, "the agent renews the lease later in its life", func() bool {
		l, err := s.Client.Logical().Write("sys/leases/lookup", map[string]any{"lease_id": lease})
		if err != nil || l == nil {
			t.Fatalf("lease %s gone before it was renewed (%v)", lease, err)
		}
		renewed, _ := l.Data["last_renewal"].(string)
		if renewed == "" {
			return false
		}
		at, err1 := time.Parse(time.RFC3339Nano, renewed)
		from, err2 := time.Parse(time.RFC3339Nano, l.Data["issue_time"].(string))
		if err1 != nil || err2 != nil {
			t.Fatalf("lease lookup times: %v %v", err1, err2)
		}
		if at.Sub(from) < defaultTTL/2 {
			return false
		}
		// A figure, not an assertion.
		t.Logf("a renewal %.1fs into the lease (default_ttl %v)", at.Sub(from).Seconds(), defaultTTL)
		return true
	})
	eventually(t, time.Minute, "VALID UNTIL moves with the renewals", func() bool {
		if !p.RoleExists(t, first.user) {
			t.Fatalf("%s dropped while its lease was being renewed", first.user)
		}
		return p.ValidUntil(t, first.user).After(issued.Add(defaultTTL / 2))
	})
	if now, ok := renderedCreds(pd.dest()); !ok || now != first {
		t.Fatal("the credentials were read anew instead of renewed")
	}
	if !selects(t, p, first) {
		t.Fatalf("%s no longer logs in after its renewal", first.user)
	}

	// 3. At max_ttl the lease cannot be renewed any more: the agent reads
	// new credentials and renders them; they work.
	var second dbCreds
	eventually(t, 2*time.Minute, "new credentials rendered at max_ttl", func() bool {
		var ok bool
		second, ok = renderedCreds(pd.dest())
		return ok && second.user != first.user
	})
	if !selects(t, p, second) {
		t.Fatalf("the new credentials of %s do not log in", second.user)
	}
	// The renewals never took the first user past max_ttl.
	if vu := p.ValidUntil(t, first.user); !vu.IsZero() && vu.After(issued.Add(maxTTL-defaultTTL+time.Second)) {
		t.Fatalf("VALID UNTIL %v of %s is past max_ttl (created with %v)", vu, first.user, issued)
	}

	// 4. vaultd's reaper drops the first user when its lease ends; the
	// second keeps working, its lease renewed in turn.
	eventually(t, 2*time.Minute, "the old user dropped", func() bool { return !p.RoleExists(t, first.user) })
	if selects(t, p, first) {
		t.Fatalf("%s still logs in after its lease ended", first.user)
	}
	if now, ok := renderedCreds(pd.dest()); !ok || now.user == first.user {
		t.Fatal("the file went back to the revoked credentials")
	}
	if !selects(t, p, second) {
		t.Fatalf("%s stopped working when the old user was dropped", second.user)
	}
	// 5. Credentials revoked under the agent cannot be renewed either:
	// its next renewal fails and it reads and renders new ones.
	_, err := s.Client.Logical().Write("sys/leases/revoke-prefix/database/creds/app-rw", nil)
	must(t, err, "revoke-prefix")
	if p.RoleExists(t, second.user) {
		t.Fatalf("%s still exists after revoke-prefix", second.user)
	}
	var third dbCreds
	eventually(t, 2*time.Minute, "new credentials rendered after a revocation", func() bool {
		var ok bool
		third, ok = renderedCreds(pd.dest())
		return ok && third.user != first.user && third.user != second.user
	})
	if !selects(t, p, third) {
		t.Fatalf("the credentials of %s read after the revocation do not log in", third.user)
	}
	if m := modeOf(t, pd.dest()); m != 0o600 {
		t.Fatalf("rendered file mode %o, want 600", m)
	}
	out := a.Out.String()
	for _, secret := range []string{token, first.password, second.password, third.password} {
		if strings.Contains(out, secret) {
			t.Fatal("the agent logged a token or a rendered password")
		}
	}
}
