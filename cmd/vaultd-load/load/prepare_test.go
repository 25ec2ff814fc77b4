package load

import (
	"context"
	"testing"
)

// A read run writes its keys with several writers, each once; with
// SkipPrepare it writes none.
func TestPrepareReads(t *testing.T) {
	f, addr := newFakeKV(t)
	if _, err := Run(context.Background(), Config{Addr: addr, Mount: "kv", Op: OpRead, Concurrency: 8, Requests: 10, Keys: 500}); err != nil {
		t.Fatal(err)
	}
	if len(f.posts) != 500 {
		t.Fatalf("prepared %d keys, want 500", len(f.posts))
	}
	for k, n := range f.posts {
		if n != 1 {
			t.Fatalf("%s written %d times", k, n)
		}
	}
	g, addr2 := newFakeKV(t)
	if _, err := Run(context.Background(), Config{Addr: addr2, Mount: "kv", Op: OpRead, Concurrency: 8, Requests: 10, Keys: 500, SkipPrepare: true}); err != nil {
		t.Fatal(err)
	}
	if len(g.posts) != 0 || len(g.gets) == 0 {
		t.Fatalf("with SkipPrepare: %d keys written, %d read", len(g.posts), len(g.gets))
	}
}
