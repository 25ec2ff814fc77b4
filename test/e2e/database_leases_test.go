package e2e

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaultd/vaultd/test/proc"
	"github.com/vaultd/vaultd/vaulttest"
)

// recordingRevocation writes a row per revocation that committed, so a
// test can count how often a user was revoked. DROP ROLE has no IF EXISTS:
// a second revocation of the same user would fail.
const recordingRevocation = `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{{name}}"; INSERT INTO revoked (name) VALUES ('{{name}}'); DROP ROLE "{{name}}";`

func (f *dbFixture) useRecordingRevocation(t *testing.T, ttl string) {
	t.Helper()
	f.appExec(t, "CREATE TABLE revoked (name text NOT NULL)")
	f.write(t, "database/roles/app-rw", map[string]any{"default_ttl": ttl, "revocation_statements": recordingRevocation})
}

// revocations counts the committed revocations of user.
func (f *dbFixture) revocations(t *testing.T, user string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := f.pg.Connect(ctx, "postgres", f.pg.Password, "app")
	must(t, err, "connect app")
	defer conn.Close(ctx)
	var n int
	must(t, conn.QueryRow(ctx, "SELECT count(*) FROM revoked WHERE name = $1", user).Scan(&n), "count revocations")
	return n
}

// TestDatabaseRestartStillRevokesOnTime: vaultd restarted on bbolt with a
// live lease still drops the user when the lease ends.
func TestDatabaseRestartStillRevokesOnTime(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{Dir: t.TempDir()}, "6s", "1h")
	user, pass, s := f.creds(t, "app-rw")
	f.srv.Restart()
	f.srv.Unseal(f.srv.Shares...)
	f.c = f.srv.Client
	if ids := f.leaseIDs(t, "app-rw"); len(ids) != 1 || "database/creds/app-rw/"+ids[0] != s.LeaseID {
		t.Fatalf("after restart the leases are %v, want %s", ids, s.LeaseID)
	}
	eventually(t, 60*time.Second, "user dropped after restart", func() bool { return !f.pg.RoleExists(t, user) })
	if f.canLogin(t, user, pass) {
		t.Fatal("user still logs in")
	}
	eventually(t, 10*time.Second, "lease gone", func() bool { return len(f.leaseIDs(t, "app-rw")) == 0 })
}

// TestDatabaseRevocationRetriedWhileDown: with PostgreSQL stopped the
// expiring lease cannot be revoked; it is kept and retried, and once the
// server is back the user is dropped exactly once.
func TestDatabaseRevocationRetriedWhileDown(t *testing.T) {
	logs := &proc.Output{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := startDatabase(t, vaulttest.Options{Logger: logger}, "1h", "24h")
	f.useRecordingRevocation(t, "3s")
	expiring, expiringPass, es := f.creds(t, "app-rw")
	expiringLease := es.LeaseID
	f.write(t, "database/roles/app-rw", map[string]any{"default_ttl": "1h"})
	manual, manualPass, ms := f.creds(t, "app-rw")

	f.pg.Stop()
	_, err := f.c.Logical().Write("sys/leases/revoke", map[string]any{"lease_id": ms.LeaseID})
	wantStatus(t, err, http.StatusInternalServerError, "revoke while the database is down")
	// Let the expiring lease's revocation fail a few times.
	time.Sleep(6 * time.Second)
	if ids := f.leaseIDs(t, "app-rw"); len(ids) != 2 {
		t.Fatalf("while the database is down the leases are %v, want both kept", ids)
	}

	_, err = f.c.Sys().Renew(expiringLease, 3600)
	wantStatus(t, err, http.StatusBadRequest, "renewing an expired lease awaiting revocation")
	if n := strings.Count(logs.String(), "revoking expired lease failed; will retry"); n < 2 {
		t.Fatalf("%d failed revocation attempts logged while the database was down, want retries:\n%s", n, logs.String())
	}
	f.pg.Start()
	eventually(t, 60*time.Second, "expired user dropped once the database is back", func() bool { return !f.pg.RoleExists(t, expiring) })
	must(t, f.c.Sys().Revoke(ms.LeaseID), "revoke after the database is back")
	if f.pg.RoleExists(t, manual) {
		t.Fatal("manually revoked user still exists")
	}
	eventually(t, 10*time.Second, "leases gone", func() bool { return len(f.leaseIDs(t, "app-rw")) == 0 })
	for _, u := range []string{expiring, manual} {
		if n := f.revocations(t, u); n != 1 {
			t.Errorf("%s revoked %d times, want once", u, n)
		}
	}
	for _, secret := range []string{dbRootPassword, expiringPass, manualPass} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a password appears in the server log")
		}
	}
}

// TestDatabaseRevokedOnceUnderRace: explicit revocations racing the reaper
// and each other revoke each user exactly once, and none fails.
func TestDatabaseRevokedOnceUnderRace(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "1h", "24h")
	f.useRecordingRevocation(t, "2s")
	type cred struct{ user, lease string }
	var creds []cred
	for range 12 {
		u, _, s := f.creds(t, "app-rw")
		creds = append(creds, cred{u, s.LeaseID})
	}
	time.Sleep(1500 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 3*len(creds))
	for range 3 {
		for _, c := range creds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := vaulttest.NewClient(t, f.srv.Addr, f.srv.RootToken)
				errs <- client.Sys().Revoke(c.lease)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("revoke: %v", err)
		}
	}
	eventually(t, 30*time.Second, "leases gone", func() bool { return len(f.leaseIDs(t, "app-rw")) == 0 })
	for _, c := range creds {
		if n := f.revocations(t, c.user); n != 1 {
			t.Errorf("%s revoked %d times, want once", c.user, n)
		}
	}
}
