package policy

import (
	"container/list"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// DefaultCacheSize is the number of compiled ACLs a Cache keeps when
// NewCache is given a size below 1.
const DefaultCacheSize = 1024

// Cache keeps compiled ACLs keyed by the set of policy names they were built
// from, least recently used first out. It is safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	size    int
	entries map[string]*list.Element
	lru     *list.List
	// gen counts invalidations, so an ACL compiled from policies loaded
	// before an invalidation is never stored after it.
	gen uint64
}

type cacheEntry struct {
	key   string
	names []string
	acl   *ACL
}

// NewCache returns a cache holding at most size ACLs.
func NewCache(size int) *Cache {
	if size < 1 {
		size = DefaultCacheSize
	}
	return &Cache{size: size, entries: make(map[string]*list.Element), lru: list.New()}
}

// normalizeNames lower-cases, sorts and de-duplicates names, dropping
// empty ones. Names that already are so are returned as they are.
func normalizeNames(names []string) []string {
	clean := true
	for i, n := range names {
		if n == "" || NormalizeName(n) != n || (i > 0 && names[i-1] >= n) {
			clean = false
			break
		}
	}
	if clean {
		return names
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n = NormalizeName(n); n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Get returns the ACL for a set of policy names, compiling and caching it on
// a miss. load fetches one policy by its normalized name and returns nil,
// nil when it does not exist (a missing policy is skipped, as in Vault);
// "root" is never loaded: it is RootPolicy(). Errors from load or NewACL are
// returned wrapped and nothing is cached.
func (c *Cache) Get(names []string, load func(name string) (*Policy, error)) (*ACL, error) {
	set := normalizeNames(names)
	key := strings.Join(set, "\n")

	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		c.lru.MoveToFront(el)
		acl := el.Value.(*cacheEntry).acl
		c.mu.Unlock()
		return acl, nil
	}
	gen := c.gen
	c.mu.Unlock()

	policies := make([]*Policy, 0, len(set))
	for _, n := range set {
		if n == Root {
			policies = append(policies, RootPolicy())
			continue
		}
		p, err := load(n)
		if err != nil {
			return nil, fmt.Errorf("load policy %q: %w", n, err)
		}
		policies = append(policies, p)
	}
	acl, err := NewACL(policies)
	if err != nil {
		return nil, err
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		// A policy changed while this ACL was being built; it may be
		// stale, so serve it to this caller only.
		return acl, nil
	}
	if el, ok := c.entries[key]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*cacheEntry).acl, nil
	}
	c.entries[key] = c.lru.PushFront(&cacheEntry{key: key, names: slices.Clone(set), acl: acl})
	for c.lru.Len() > c.size {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).key)
	}
	return acl, nil
}

// Invalidate drops every cached ACL built from the named policy. Call it
// after the policy is written or deleted.
func (c *Cache) Invalidate(name string) {
	name = NormalizeName(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for key, el := range c.entries {
		if _, found := slices.BinarySearch(el.Value.(*cacheEntry).names, name); found {
			c.lru.Remove(el)
			delete(c.entries, key)
		}
	}
}

// Purge drops every cached ACL.
func (c *Cache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
	c.lru.Init()
}

// Len is the number of cached ACLs.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
