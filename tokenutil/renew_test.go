package tokenutil

import (
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// TestRenewed: the renewed auth takes the params' current TTLs and keeps
// the rest of the token's auth; the token's own auth is left as it was.
func TestRenewed(t *testing.T) {
	p := TokenParams{TokenTTL: time.Minute, TokenMaxTTL: time.Hour, TokenPeriod: 2 * time.Minute}
	prev := &logical.Auth{TTL: time.Second, MaxTTL: 2 * time.Second, Policies: []string{"a"}, Metadata: map[string]string{"role": "r"}}
	resp := p.Renewed(prev)
	a := resp.Auth
	if a == prev || a.TTL != time.Minute || a.MaxTTL != time.Hour || a.Period != 2*time.Minute {
		t.Fatalf("renewed auth %+v", a)
	}
	if a.Metadata["role"] != "r" || len(a.Policies) != 1 || a.Policies[0] != "a" {
		t.Fatalf("renewed auth lost the token's fields: %+v", a)
	}
	if prev.TTL != time.Second || prev.MaxTTL != 2*time.Second {
		t.Fatalf("token's own auth changed: %+v", prev)
	}
}
