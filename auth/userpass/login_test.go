package userpass

import (
	"context"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/vaultd/vaultd/logical"
)

func newTestBackend(t testing.TB) (*Backend, logical.Storage) {
	t.Helper()
	b, err := Factory(context.Background(), &logical.BackendConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return b.(*Backend), logical.NewInmemStorage()
}

func call(b *Backend, s logical.Storage, op logical.Operation, path string, data map[string]any) (*logical.Response, error) {
	return b.HandleRequest(context.Background(), &logical.Request{Operation: op, Path: path, Data: data, Storage: s})
}

// TestMissingUserCostsABcryptComparison: a login for a missing user runs
// bcrypt against a real hash of the same cost as a user's, which is what
// makes it take as long as a wrong password.
func TestMissingUserCostsABcryptComparison(t *testing.T) {
	b, s := newTestBackend(t)
	if _, err := call(b, s, logical.CreateOperation, "users/alice", map[string]any{"password": "pw"}); err != nil {
		t.Fatal(err)
	}
	u, err := loadUser(context.Background(), s, "alice")
	if err != nil || u == nil {
		t.Fatalf("load: %v %v", u, err)
	}
	userCost, err := bcrypt.Cost(u.PasswordHash)
	if err != nil {
		t.Fatal(err)
	}
	dummyCost, err := bcrypt.Cost(b.dummyHash)
	if err != nil {
		t.Fatalf("the dummy hash is not a bcrypt hash, so a missing user would fail fast: %v", err)
	}
	if userCost != dummyCost {
		t.Fatalf("dummy cost %d, user cost %d", dummyCost, userCost)
	}
}

// BenchmarkLoginFailure reports the cost of the two failure paths; they
// should be within noise of each other.
func BenchmarkLoginFailure(b *testing.B) {
	be, s := newTestBackend(b)
	if _, err := call(be, s, logical.CreateOperation, "users/alice", map[string]any{"password": "pw"}); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"alice", "nobody"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := call(be, s, logical.UpdateOperation, "login/"+name, map[string]any{"password": "wrong"}); err == nil {
					b.Fatal("login succeeded")
				}
			}
		})
	}
}
