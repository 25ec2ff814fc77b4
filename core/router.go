package core

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/vaultd/vaultd/logical"
)

// route is one mounted engine.
type route struct {
	entry   *MountEntry
	backend logical.Backend
	view    logical.Storage
	system  mountSystemView
	unauth  pathSet
	root    pathSet
}

// pathSet matches a path against exact paths and "prefix*" patterns.
type pathSet struct {
	exact    map[string]bool
	prefixes []string
}

func newPathSet(patterns []string) pathSet {
	ps := pathSet{exact: map[string]bool{}}
	for _, p := range patterns {
		if strings.HasSuffix(p, "*") {
			ps.prefixes = append(ps.prefixes, strings.TrimSuffix(p, "*"))
			continue
		}
		ps.exact[p] = true
	}
	return ps
}

func (ps pathSet) match(path string) bool {
	if ps.exact[path] {
		return true
	}
	for _, p := range ps.prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// router finds the engine that serves a path by longest mount prefix.
type router struct {
	mu     sync.RWMutex
	routes map[string]*route
}

func newRouter() *router {
	return &router{routes: map[string]*route{}}
}

func (r *router) add(rt *route) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.routes[rt.entry.routePath()] = rt
}

func (r *router) remove(routePath string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.routes, routePath)
}

// match returns the route serving path and the path relative to its
// mount. A path naming a mount without its trailing slash ("secret")
// matches that mount with an empty relative path.
func (r *router) match(path string) (*route, string) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if rt, ok := r.routes[path+"/"]; ok && !strings.HasSuffix(path, "/") {
		return rt, ""
	}
	for end := len(path); end > 0; {
		cut := strings.LastIndexByte(path[:end], '/')
		if cut < 0 {
			break
		}
		prefix := path[:cut+1]
		if rt, ok := r.routes[prefix]; ok {
			return rt, path[cut+1:]
		}
		end = cut
	}
	return nil, ""
}

// conflict reports whether a new mount at routePath would sit over, under
// or on top of an existing one.
func (r *router) conflict(routePath string) (string, bool) {
	return r.conflictExcept(routePath, "")
}

// conflictExcept is conflict ignoring the mount at except (the one being
// moved). Every mount is checked, in sorted order, so the answer does not
// depend on map order: the first clash other than except is reported.
func (r *router) conflictExcept(routePath, except string) (string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, existing := range slices.Sorted(maps.Keys(r.routes)) {
		if existing == except {
			continue
		}
		if strings.HasPrefix(existing, routePath) || strings.HasPrefix(routePath, existing) {
			return existing, true
		}
	}
	return "", false
}

// all returns every route, for listing.
func (r *router) all() []*route {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*route, 0, len(r.routes))
	for _, rt := range r.routes {
		out = append(out, rt)
	}
	return out
}
