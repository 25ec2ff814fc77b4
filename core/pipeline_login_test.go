package core

import (
	"context"
	"testing"

	"github.com/vaultd/vaultd/cubbyhole"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage/inmem"
)

// authAnswerBackend answers every request with an Auth that has no token;
// "login" is its unauthenticated path.
type authAnswerBackend struct{}

func (authAnswerBackend) HandleRequest(context.Context, *logical.Request) (*logical.Response, error) {
	return &logical.Response{Auth: &logical.Auth{Policies: []string{"default"}, DisplayName: "fake"}}, nil
}
func (authAnswerBackend) ExistenceCheck(context.Context, *logical.Request) (bool, bool, error) {
	return false, false, nil
}
func (authAnswerBackend) SpecialPaths() logical.SpecialPaths {
	return logical.SpecialPaths{Unauthenticated: []string{"login"}}
}

// TestOnlyLoginsMintTokens: the core mints a token for an Auth without one
// only on a login (an unauthenticated path of an auth mount). An
// authenticated path answering such an Auth — auth/token/renew-accessor,
// which hides the token it renewed — gets no new token: before this rule,
// every renew-accessor call minted a fresh orphan token with the renewed
// token's policies.
func TestOnlyLoginsMintTokens(t *testing.T) {
	ctx := context.Background()
	c, err := New(ctx, Config{Physical: inmem.New(), StorageType: "test",
		Engines: map[string]logical.Factory{"cubbyhole": cubbyhole.Factory},
		AuthMethods: map[string]logical.Factory{
			"fakeauth": func(context.Context, *logical.BackendConfig) (logical.Backend, error) {
				return authAnswerBackend{}, nil
			},
		},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	res := initCore(t, c, 1, 1)
	unsealWith(t, c, res.Shares[0])
	t.Cleanup(func() { _ = c.Shutdown(ctx) })
	root := res.RootToken
	call := func(token string, op logical.Operation, path string, data map[string]any) *logical.Response {
		t.Helper()
		resp, err := c.HandleRequest(ctx, &logical.Request{Operation: op, Path: path, ClientToken: token, Data: data})
		if err != nil {
			t.Fatalf("%s %s: %v", op, path, err)
		}
		return resp
	}
	accessors := func() int {
		t.Helper()
		keys, _ := call(root, logical.ListOperation, "auth/token/accessors", nil).Data["keys"].([]string)
		return len(keys)
	}
	call(root, logical.UpdateOperation, "sys/auth/fake", map[string]any{"type": "fakeauth"})
	child := call(root, logical.UpdateOperation, "auth/token/create", map[string]any{"policies": "default", "ttl": "1h"}).Auth

	before := accessors()
	renewed := call(root, logical.UpdateOperation, "auth/token/renew-accessor", map[string]any{"accessor": child.Accessor, "increment": "10m"}).Auth
	if renewed == nil || renewed.ClientToken != "" || renewed.Accessor != child.Accessor || renewed.Orphan {
		t.Fatalf("renew-accessor answered %+v, want the child's accessor, no token, not an orphan", renewed)
	}
	if after := accessors(); after != before {
		t.Fatalf("renew-accessor changed the token count from %d to %d", before, after)
	}

	cases := []struct {
		name, token, path string
		wantToken         bool
	}{
		{"login path mints", "", "auth/fake/login", true},
		{"authenticated path does not", root, "auth/fake/other", false},
	}
	for _, tc := range cases {
		n := accessors()
		auth := call(tc.token, logical.UpdateOperation, tc.path, nil).Auth
		minted := auth != nil && auth.ClientToken != ""
		if minted != tc.wantToken {
			t.Errorf("%s: token minted=%v, want %v (%+v)", tc.name, minted, tc.wantToken, auth)
		}
		grew := accessors() - n
		if (grew == 1) != tc.wantToken || grew > 1 {
			t.Errorf("%s: token count grew by %d", tc.name, grew)
		}
	}
}
