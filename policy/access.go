package policy

import "strings"

// HasMountAccess reports whether the ACL grants anything at all at or below
// a mount path ("secret/"), which is how sys/internal/ui/mounts decides
// which mounts a token may see. As in Vault: the mount path itself has a
// capability, or some exact or glob rule under it grants a non-deny
// capability, or some "+" rule could match below it and grants one.
func (a *ACL) HasMountAccess(mountPath string) bool {
	if a.root {
		return true
	}
	path := strings.TrimLeft(mountPath, "/")
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	if caps := a.Capabilities(path); len(caps) != 1 || caps[0] != CapDeny {
		return true
	}
	found := false
	grants := func(_ string, e *entry) bool {
		c := e.perms.caps
		if c != 0 && c&capDeny == 0 {
			found = true
		}
		return found
	}
	a.exactTree.walkPrefix(path, grants)
	if !found {
		a.prefixes.walkPrefix(path, grants)
	}
	if found {
		return true
	}
	mount := strings.Split(strings.TrimSuffix(path, "/"), "/")
	for _, e := range a.segments.all {
		c := e.perms.caps
		if c != 0 && c&capDeny == 0 && reachesBelow(e, mount) {
			return true
		}
	}
	return false
}

// reachesBelow reports whether a "+" pattern's leading segments match every
// segment of a mount path, so that it can match paths inside the mount.
func reachesBelow(e *entry, mount []string) bool {
	parts := strings.Split(e.rank.stem, "/")
	if len(parts) < len(mount) {
		return false
	}
	last := len(parts) - 1
	for i, seg := range mount {
		part := parts[i]
		switch {
		case part == "+", part == seg:
		case e.rank.isPrefix && i == last && strings.HasPrefix(seg, part):
		default:
			return false
		}
	}
	return true
}

// ResultantACL is the data of sys/internal/ui/resultant-acl: {"root": true}
// for the root policy, else "root": false with "exact_paths" and
// "glob_paths" (glob stems without their "*", and "+" patterns as written),
// each mapping a path to its capabilities and any wrapping TTLs (seconds)
// and parameter constraints.
func (a *ACL) ResultantACL() map[string]any {
	if a.root {
		return map[string]any{"root": true}
	}
	exact := make(map[string]any, len(a.exact))
	for k, e := range a.exact {
		exact[k] = e.perms.describe()
	}
	glob := make(map[string]any, a.prefixes.size+len(a.segments.all))
	a.prefixes.walk(func(k string, e *entry) bool {
		glob[k] = e.perms.describe()
		return false
	})
	for _, e := range a.segments.all {
		glob[e.pattern] = e.perms.describe()
	}
	return map[string]any{"root": false, "exact_paths": exact, "glob_paths": glob}
}

func (p *perms) describe() map[string]any {
	out := map[string]any{"capabilities": p.caps.resultantNames()}
	if p.minWrap != 0 {
		out["min_wrapping_ttl"] = int64(p.minWrap.Seconds())
	}
	if p.maxWrap != 0 {
		out["max_wrapping_ttl"] = int64(p.maxWrap.Seconds())
	}
	if len(p.allowed) > 0 {
		out["allowed_parameters"] = cloneParams(p.allowed)
	}
	if len(p.denied) > 0 {
		out["denied_parameters"] = cloneParams(p.denied)
	}
	if len(p.required) > 0 {
		out["required_parameters"] = append([]string(nil), p.required...)
	}
	return out
}
