package logical

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"
)

// InmemStorage is a Storage held in a map, for engine tests. It copies
// values in and out so callers cannot alias its contents.
type InmemStorage struct {
	mu      sync.RWMutex
	entries map[string][]byte
}

// NewInmemStorage returns an empty InmemStorage.
func NewInmemStorage() *InmemStorage {
	return &InmemStorage{entries: map[string][]byte{}}
}

// Get implements Storage.
func (s *InmemStorage) Get(_ context.Context, key string) (*StorageEntry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.entries[key]
	if !ok {
		return nil, nil
	}
	return &StorageEntry{Key: key, Value: append([]byte(nil), v...)}, nil
}

// Put implements Storage.
func (s *InmemStorage) Put(_ context.Context, entry *StorageEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries[entry.Key] = append([]byte(nil), entry.Value...)
	return nil
}

// Delete implements Storage.
func (s *InmemStorage) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entries, key)
	return nil
}

// List implements Storage.
func (s *InmemStorage) List(_ context.Context, prefix string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	seen := map[string]bool{}
	for key := range s.entries {
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		rest := strings.TrimPrefix(key, prefix)
		if i := strings.Index(rest, "/"); i >= 0 {
			rest = rest[:i+1]
		}
		seen[rest] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// Commit implements Storage.
func (s *InmemStorage) Commit(_ context.Context, ops []StorageOp) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, op := range ops {
		if op.Delete {
			delete(s.entries, op.Key)
			continue
		}
		s.entries[op.Key] = append([]byte(nil), op.Value...)
	}
	return nil
}

// Len returns the number of entries, for tests that check nothing was written.
func (s *InmemStorage) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.entries)
}

// StaticSystemView is a SystemView with fixed answers, for engine tests.
type StaticSystemView struct {
	DefaultTTL time.Duration
	MaxTTL     time.Duration
	Clock      func() time.Time
}

// DefaultLeaseTTL implements SystemView.
func (v StaticSystemView) DefaultLeaseTTL() time.Duration { return v.DefaultTTL }

// MaxLeaseTTL implements SystemView.
func (v StaticSystemView) MaxLeaseTTL() time.Duration { return v.MaxTTL }

// Now implements SystemView.
func (v StaticSystemView) Now() time.Time {
	if v.Clock != nil {
		return v.Clock()
	}
	return time.Now()
}
