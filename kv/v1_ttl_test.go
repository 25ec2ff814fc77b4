package kv

import (
	"context"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// TestV1ReadRefreshInterval: a v1 read reports, as Vault does, a
// non-renewable secret whose TTL is the secret's own "ttl" (or "lease")
// when it holds a duration and the mount's default lease TTL otherwise.
// The CLI shows it as refresh_interval and Vault Agent's templates use it
// to decide when to read again.
func TestV1ReadRefreshInterval(t *testing.T) {
	const def = 768 * time.Hour
	s := logical.NewInmemStorage()
	b, err := Factory(context.Background(), &logical.BackendConfig{
		Storage:   s,
		System:    logical.StaticSystemView{DefaultTTL: def, MaxTTL: def},
		MountType: MountTypeKV,
	})
	if err != nil {
		t.Fatalf("Factory: %v", err)
	}
	e := &env{t: t, b: b, s: s, clock: newClock()}
	cases := []struct {
		name, secret string
		want         time.Duration
	}{
		{"no ttl key: mount default", `{"a":"b"}`, def},
		{"ttl as duration text", `{"a":"b","ttl":"1h"}`, time.Hour},
		{"ttl as seconds number", `{"a":"b","ttl":90}`, 90 * time.Second},
		{"ttl as seconds text", `{"a":"b","ttl":"120"}`, 2 * time.Minute},
		{"lease key", `{"a":"b","lease":"30m"}`, 30 * time.Minute},
		{"ttl wins over lease", `{"ttl":"2m","lease":"30m"}`, 2 * time.Minute},
		{"ttl not a duration: only data", `{"ttl":"banana"}`, def},
		{"ttl zero: mount default", `{"ttl":"0s"}`, def},
	}
	for i, tc := range cases {
		path := "s/" + string(rune('a'+i))
		e.write(path, tc.secret)
		resp := e.must(logical.ReadOperation, path, nil)
		if resp.Secret == nil {
			t.Errorf("%s: read gave no secret: %+v", tc.name, resp)
			continue
		}
		if resp.Secret.TTL != tc.want || resp.Secret.Renewable || resp.Secret.LeaseID != "" {
			t.Errorf("%s: secret TTL %v renewable %v lease %q, want %v, false, empty", tc.name, resp.Secret.TTL, resp.Secret.Renewable, resp.Secret.LeaseID, tc.want)
		}
		if len(resp.Data) == 0 {
			t.Errorf("%s: data lost: %v", tc.name, resp.Data)
		}
	}
	// A missing secret is still no response at all (the server's 404).
	if resp, err := e.do(logical.ReadOperation, "s/missing", nil); err != nil || resp != nil {
		t.Fatalf("missing secret: %+v, %v", resp, err)
	}
}
