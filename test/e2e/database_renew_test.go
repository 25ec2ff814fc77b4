package e2e

import (
	"testing"
	"time"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestDatabaseRenewWithoutIncrement: a renewal that asks for no increment
// (what Vault Agent and consul-template send) gets the role's default_ttl
// as it is now, as in Vault, not the TTL the lease got last time; VALID
// UNTIL follows.
func TestDatabaseRenewWithoutIncrement(t *testing.T) {
	f := startDatabase(t, vaulttest.Options{}, "10m", "24h")
	user, _, s := f.creds(t, "app-rw")

	r, err := f.c.Sys().Renew(s.LeaseID, 3600)
	must(t, err, "renew 1h")
	if r.LeaseDuration != 3600 {
		t.Fatalf("renew with increment 1h: %d s", r.LeaseDuration)
	}

	steps := []struct {
		defaultTTL string
		want       time.Duration
	}{
		{"", 10 * time.Minute},    // the role as created
		{"20m", 20 * time.Minute}, // default_ttl raised
		{"5m", 5 * time.Minute},   // and lowered
	}
	for _, st := range steps {
		if st.defaultTTL != "" {
			f.write(t, "database/roles/app-rw", map[string]any{"default_ttl": st.defaultTTL})
		}
		before := time.Now()
		r, err := f.c.Sys().Renew(s.LeaseID, 0)
		must(t, err, "renew without increment")
		if got := time.Duration(r.LeaseDuration) * time.Second; got != st.want {
			t.Fatalf("default_ttl %q: renew without increment gave %v, want %v", st.defaultTTL, got, st.want)
		}
		vu := f.pg.ValidUntil(t, user)
		if vu.Before(before.Add(st.want-2*time.Second)) || vu.After(time.Now().Add(st.want+2*time.Second)) {
			t.Fatalf("default_ttl %q: VALID UNTIL %v, want about %v from now", st.defaultTTL, vu, st.want)
		}
	}
}
