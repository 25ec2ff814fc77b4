package core

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vaultd/vaultd/cubbyhole"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/bbolt"
	"github.com/vaultd/vaultd/storage/inmem"
)

// noopBackend answers every request with an empty response; it measures
// the pipeline alone.
type noopBackend struct{}

func (noopBackend) HandleRequest(context.Context, *logical.Request) (*logical.Response, error) {
	return &logical.Response{Data: map[string]any{}}, nil
}
func (noopBackend) ExistenceCheck(context.Context, *logical.Request) (bool, bool, error) {
	return false, false, nil
}
func (noopBackend) SpecialPaths() logical.SpecialPaths { return logical.SpecialPaths{} }

func benchCore(b *testing.B, phys storage.Backend) (*Core, string) {
	b.Helper()
	ctx := context.Background()
	c, err := New(ctx, Config{Physical: phys, Engines: map[string]logical.Factory{
		"cubbyhole": cubbyhole.Factory,
		"noop":      func(context.Context, *logical.BackendConfig) (logical.Backend, error) { return noopBackend{}, nil },
	}})
	if err != nil {
		b.Fatal(err)
	}
	res, err := c.Initialize(ctx, InitParams{SecretShares: 1, SecretThreshold: 1})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Unseal(ctx, res.Shares[0]); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Shutdown(ctx) })
	return c, res.RootToken
}

// BenchmarkPipelineNoop is the cost of one request through the pipeline —
// token lookup (cached), ACL check (cached), audit broker with no device,
// routing — for a non-root token on a no-op engine.
func BenchmarkPipelineNoop(b *testing.B) {
	ctx := context.Background()
	c, root := benchCore(b, inmem.New())
	do := func(op logical.Operation, path string, data map[string]any) *logical.Response {
		resp, err := c.HandleRequest(ctx, &logical.Request{Operation: op, Path: path, ClientToken: root, Data: data})
		if err != nil {
			b.Fatal(err)
		}
		return resp
	}
	do(logical.UpdateOperation, "sys/mounts/noop", map[string]any{"type": "noop"})
	do(logical.UpdateOperation, "sys/policies/acl/reader", map[string]any{"policy": `path "noop/+/item" { capabilities = ["read"] }`})
	tok := do(logical.UpdateOperation, "auth/token/create", map[string]any{"policies": []any{"reader"}}).Auth.ClientToken
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.HandleRequest(ctx, &logical.Request{Operation: logical.ReadOperation, Path: "noop/a/item", ClientToken: tok}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkTokenCreateBbolt measures auth/token/create through the pipeline
// on a bbolt store, where every token is a durable write.
func BenchmarkTokenCreateBbolt(b *testing.B) {
	ctx := context.Background()
	phys, err := bbolt.Open(filepath.Join(b.TempDir(), "v.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	c, root := benchCore(b, phys)
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, err := c.HandleRequest(ctx, &logical.Request{Operation: logical.UpdateOperation, Path: "auth/token/create", ClientToken: root,
				Data: map[string]any{"ttl": "1h"}})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
