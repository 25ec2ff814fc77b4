package kubernetes

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// cachedFile reads a small file and reuses what it read for a while. The
// kubelet rotates a pod's projected service-account token in place, and
// Kubernetes asks clients to re-read it about once a minute.
type cachedFile struct {
	path   string
	period time.Duration
	now    func() time.Time

	mu      sync.Mutex
	content string
	expires time.Time
}

func newCachedFile(path string, period time.Duration, now func() time.Time) *cachedFile {
	return &cachedFile{path: path, period: period, now: now}
}

// read returns the file's content, trimmed of surrounding white space,
// reading it again when the cached copy is older than the period. A read
// error is not cached.
func (f *cachedFile) read() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if now.Before(f.expires) {
		return f.content, nil
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", f.path, err)
	}
	f.content = strings.TrimSpace(string(data))
	f.expires = now.Add(f.period)
	return f.content, nil
}
