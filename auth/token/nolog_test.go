package token

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// lockedBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestStoreLogsNoTokensOrAccessors: at the most verbose level, creating,
// looking up, renewing and revoking tokens logs neither a token nor an
// accessor (the audit log HMACs them; the server log must not undo that).
func TestStoreLogsNoTokensOrAccessors(t *testing.T) {
	logs := &lockedBuffer{}
	ctx := context.Background()
	s, err := NewStore(ctx, Config{
		Storage: logical.NewInmemStorage(),
		System:  logical.StaticSystemView{DefaultTTL: testDefaultTTL, MaxTTL: testMaxTTL, Clock: newClock().Now},
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug - 8})),
	})
	if err != nil {
		t.Fatal(err)
	}
	root, err := s.CreateRoot(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	be := s.Backend()
	do := func(op logical.Operation, path, tok string, data map[string]any) *logical.Response {
		t.Helper()
		resp, err := be.HandleRequest(ctx, &logical.Request{Operation: op, Path: path, ClientToken: tok, Data: data, MountPoint: "auth/token/"})
		if err != nil {
			t.Fatalf("%s %s: %v", op, path, err)
		}
		return resp
	}
	var secrets []string
	secrets = append(secrets, root.ID, root.Accessor)
	for i := 0; i < 3; i++ {
		resp := do(logical.UpdateOperation, "create", root.ID, map[string]any{"policies": []any{"default"}, "ttl": "1h"})
		tok, acc := resp.Auth.ClientToken, resp.Auth.Accessor
		secrets = append(secrets, tok, acc)
		do(logical.UpdateOperation, "lookup", root.ID, map[string]any{"token": tok})
		do(logical.UpdateOperation, "renew", root.ID, map[string]any{"token": tok})
		switch i {
		case 0:
			do(logical.UpdateOperation, "revoke", root.ID, map[string]any{"token": tok})
		case 1:
			do(logical.UpdateOperation, "revoke-accessor", root.ID, map[string]any{"accessor": acc})
		case 2:
			do(logical.UpdateOperation, "revoke-orphan", root.ID, map[string]any{"token": tok})
		}
	}
	out := logs.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the log holds %q:\n%s", s, out)
		}
	}
}
