package policy

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// store is a fake policy store for cache tests: it counts loads.
type store struct {
	mu    sync.Mutex
	texts map[string]string
	loads atomic.Int64
}

func (s *store) set(name, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts[name] = text
}

func (s *store) load(name string) (*Policy, error) {
	s.loads.Add(1)
	s.mu.Lock()
	text, ok := s.texts[name]
	s.mu.Unlock()
	if !ok {
		return nil, nil
	}
	return Parse(name, text)
}

func newStore() *store {
	return &store{texts: map[string]string{
		"default": DefaultPolicyText,
		"app":     `path "secret/data/app" { capabilities = ["read"] }`,
		"ops":     `path "sys/*" { capabilities = ["read"] }`,
	}}
}

func TestCacheHitAndKeyNormalization(t *testing.T) {
	s, c := newStore(), NewCache(8)
	a1, err := c.Get([]string{"app", "default"}, s.load)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := c.Get([]string{"Default", "app", " app "}, s.load)
	if err != nil {
		t.Fatal(err)
	}
	if a1 != a2 {
		t.Error("same policy set (reordered, duplicated, other case) compiled twice")
	}
	if n := s.loads.Load(); n != 2 {
		t.Errorf("loads = %d, want 2", n)
	}
	if !a1.Allowed(Request{Path: "secret/data/app", Operation: "read"}).Allowed {
		t.Error("cached ACL does not grant app's read")
	}
}

func TestCacheInvalidate(t *testing.T) {
	s, c := newStore(), NewCache(8)
	appSet, _ := c.Get([]string{"app", "default"}, s.load)
	opsSet, _ := c.Get([]string{"ops"}, s.load)

	s.set("app", `path "secret/data/app" { capabilities = ["read", "update"] }`)
	c.Invalidate("APP")

	if got, _ := c.Get([]string{"ops"}, s.load); got != opsSet {
		t.Error("Invalidate(app) dropped a set without app")
	}
	fresh, err := c.Get([]string{"default", "app"}, s.load)
	if err != nil {
		t.Fatal(err)
	}
	if fresh == appSet {
		t.Fatal("Invalidate(app) kept the stale ACL")
	}
	if !fresh.Allowed(Request{Path: "secret/data/app", Operation: "update"}).Allowed {
		t.Error("recompiled ACL does not see the new rule")
	}

	// Deleting a policy: it is skipped once gone.
	s.mu.Lock()
	delete(s.texts, "app")
	s.mu.Unlock()
	c.Invalidate("app")
	gone, err := c.Get([]string{"default", "app"}, s.load)
	if err != nil {
		t.Fatal(err)
	}
	if gone.Allowed(Request{Path: "secret/data/app", Operation: "read"}).Allowed {
		t.Error("a deleted policy still grants")
	}
}

func TestCacheBounded(t *testing.T) {
	s, c := newStore(), NewCache(3)
	for i := 0; i < 10; i++ {
		name := fmt.Sprintf("p%d", i)
		s.set(name, fmt.Sprintf(`path "x/%d" { capabilities = ["read"] }`, i))
		if _, err := c.Get([]string{name}, s.load); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 3 {
		t.Errorf("Len = %d, want 3", c.Len())
	}
	// The most recent sets are kept.
	before := s.loads.Load()
	if _, err := c.Get([]string{"p9"}, s.load); err != nil {
		t.Fatal(err)
	}
	if s.loads.Load() != before {
		t.Error("most recent set was evicted")
	}
	c.Purge()
	if c.Len() != 0 {
		t.Error("Purge left entries")
	}
}

func TestCacheRootAndErrors(t *testing.T) {
	s, c := newStore(), NewCache(0)
	root, err := c.Get([]string{"root"}, s.load)
	if err != nil {
		t.Fatal(err)
	}
	if !root.IsRoot() || s.loads.Load() != 0 {
		t.Error("root was loaded instead of built in")
	}
	if _, err := c.Get([]string{"root", "default"}, s.load); err == nil {
		t.Error("root with default was accepted")
	}
	boom := errors.New("storage down")
	_, err = c.Get([]string{"app"}, func(string) (*Policy, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Errorf("load error not wrapped: %v", err)
	}
	if c.Len() != 1 {
		t.Errorf("an error was cached: Len = %d", c.Len())
	}
}

// TestCacheInvalidateDuringLoad: an ACL built from policies loaded before an
// invalidation must not be cached after it.
func TestCacheInvalidateDuringLoad(t *testing.T) {
	s, c := newStore(), NewCache(8)
	load := func(name string) (*Policy, error) {
		p, err := s.load(name)
		c.Invalidate("app") // a write lands while we are loading
		return p, err
	}
	if _, err := c.Get([]string{"app"}, load); err != nil {
		t.Fatal(err)
	}
	if c.Len() != 0 {
		t.Error("an ACL loaded across an invalidation was cached")
	}
}

func TestCacheConcurrent(t *testing.T) {
	s, c := newStore(), NewCache(4)
	sets := [][]string{{"app"}, {"ops"}, {"app", "ops"}, {"default"}, {"default", "app"}, {"default", "ops"}}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				acl, err := c.Get(sets[(g+i)%len(sets)], s.load)
				if err != nil {
					t.Error(err)
					return
				}
				acl.Allowed(Request{Path: "secret/data/app", Operation: "read"})
				if i%50 == 0 {
					c.Invalidate("app")
				}
			}
		}()
	}
	wg.Wait()
	if c.Len() > 4 {
		t.Errorf("Len = %d above bound", c.Len())
	}
}
