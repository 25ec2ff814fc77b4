package token

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// TestBatchTokens: a batch token is not stored, opens back to its entry,
// cannot be renewed, refuses tampering, expires, and dies with its parent.
func TestBatchTokens(t *testing.T) {
	e := newEnv(t)
	before := e.dump()
	auth := &logical.Auth{Policies: []string{"app"}, TTL: time.Hour, TokenType: logical.TokenTypeBatch, Metadata: map[string]string{"k": "v"}}
	ent, err := e.store.CreateFromAuth(context.Background(), "auth/userpass/login/a", auth)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(auth.ClientToken, "hvb.") || auth.Accessor != "" || auth.Renewable || ent.Type != TypeBatch {
		t.Fatalf("batch auth: %+v", auth)
	}
	if after := e.dump(); !maps.Equal(before, after) {
		t.Fatalf("a batch token changed storage: %d keys before, %d after", len(before), len(after))
	}
	got := e.lookup(auth.ClientToken)
	if got == nil || got.Path != "auth/userpass/login/a" || got.Meta["k"] != "v" || !got.IsBatch() {
		t.Fatalf("lookup: %+v", got)
	}
	if _, err := e.store.Renew(context.Background(), got, 0); err == nil || !strings.Contains(err.Error(), "batch tokens cannot be renewed") {
		t.Fatalf("renew: %v", err)
	}
	tampered := auth.ClientToken[:len(auth.ClientToken)-2] + "AA"
	if e.lookup(tampered) != nil || e.lookup("hvb.garbage!") != nil {
		t.Fatal("a tampered batch token opened")
	}

	// A child batch token of a service token lives only as long as it.
	parent := e.create("create", e.root.ID, map[string]any{"policies": "app"})
	child := e.create("create", parent.ClientToken, map[string]any{"type": "batch", "ttl": "10m"})
	if e.lookup(child.ClientToken) == nil {
		t.Fatal("child batch token does not open")
	}
	if _, err := e.do(logical.UpdateOperation, "create", child.ClientToken, map[string]any{}); err == nil {
		t.Fatal("a batch token created a child")
	}
	e.mustDo(logical.UpdateOperation, "revoke", e.root.ID, map[string]any{"token": parent.ClientToken})
	if e.lookup(child.ClientToken) != nil {
		t.Fatal("the batch child outlived its parent")
	}
	e.clock.Advance(2 * time.Hour)
	if e.lookup(auth.ClientToken) != nil {
		t.Fatal("an expired batch token opened")
	}
}
