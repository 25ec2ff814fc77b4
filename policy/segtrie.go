package policy

import "strings"

// rank orders the non-exact patterns that match a path; the highest-ranked
// one decides. Pattern P1 ranks below P2 when, in this order:
//  1. its first "+" or "*" comes earlier;
//  2. it ends in "*" and P2 does not;
//  3. it has more "+" segments;
//  4. it is shorter (without the trailing "*");
//  5. it sorts lower.
type rank struct {
	firstWild int
	isPrefix  bool
	plusSegs  int
	stem      string
}

// below reports whether r ranks below o.
func (r *rank) below(o *rank) bool {
	if r.firstWild != o.firstWild {
		return r.firstWild < o.firstWild
	}
	if r.isPrefix != o.isPrefix {
		return r.isPrefix
	}
	if r.plusSegs != o.plusSegs {
		return r.plusSegs > o.plusSegs
	}
	if len(r.stem) != len(o.stem) {
		return len(r.stem) < len(o.stem)
	}
	return r.stem < o.stem
}

// entry is a compiled pattern: where it ranks and what it grants.
type entry struct {
	pattern string
	rank    rank
	perms   *perms
}

// prefixRank is the rank of a trailing-glob pattern with prefix stem.
func prefixRank(stem string) rank {
	return rank{firstWild: len(stem), isPrefix: true, stem: stem}
}

// hasSegmentWildcard reports whether a pattern uses "+" as a whole segment.
// A "+" inside a segment ("a+b") is literal, as in Vault.
func hasSegmentWildcard(p string) bool {
	return p == "+" || strings.Contains(p, "/+") || strings.HasPrefix(p, "+/")
}

// segmentRank is the rank of a "+" pattern. As in Vault, the position of the
// first wildcard is the first "+" byte anywhere in the pattern.
func segmentRank(pattern string) rank {
	stem, isPrefix := strings.CutSuffix(pattern, "*")
	r := rank{firstWild: strings.Index(pattern, "+"), isPrefix: isPrefix, stem: stem}
	for _, part := range strings.Split(stem, "/") {
		if part == "+" {
			r.plusSegs++
		}
	}
	return r
}

// segTrie holds the "+" patterns, one trie level per path segment. A check
// walks only the branches whose segments match the path: the literal child
// and the "+" child at each level.
type segTrie struct {
	root segNode
	all  []*entry
}

type segNode struct {
	literal map[string]*segNode
	plus    *segNode
	// exact is the pattern that ends at this depth, without a trailing "*".
	exact *entry
	// globs are patterns whose last segment ends in "*": the path segment at
	// this depth must start with the entry's stem, and any segments may
	// follow.
	globs []globEntry
}

type globEntry struct {
	stem string
	e    *entry
}

// insert adds a "+" pattern; e.pattern must not already be present.
func (t *segTrie) insert(e *entry) {
	t.all = append(t.all, e)
	parts := strings.Split(e.rank.stem, "/")
	inner := parts
	if e.rank.isPrefix {
		inner = parts[:len(parts)-1]
	}
	n := &t.root
	for _, part := range inner {
		n = n.next(part)
	}
	if e.rank.isPrefix {
		n.globs = append(n.globs, globEntry{stem: parts[len(parts)-1], e: e})
		return
	}
	n.exact = e
}

func (n *segNode) next(part string) *segNode {
	if part == "+" {
		if n.plus == nil {
			n.plus = &segNode{}
		}
		return n.plus
	}
	if n.literal == nil {
		n.literal = make(map[string]*segNode)
	}
	c, ok := n.literal[part]
	if !ok {
		c = &segNode{}
		n.literal[part] = c
	}
	return c
}

// match raises *best to the highest-ranked pattern matching path. Segments
// are what strings.Split(path, "/") gives, so "a/" has an empty second
// segment, which "+" matches, as in Vault.
func (t *segTrie) match(path string, best **entry) {
	t.root.match(path, 0, best)
}

// match looks at the segment starting at pos; pos < 0 means every segment
// has been consumed.
func (n *segNode) match(path string, pos int, best **entry) {
	if pos < 0 {
		if n.exact != nil {
			consider(best, n.exact)
		}
		return
	}
	seg, next := path[pos:], -1
	if i := strings.IndexByte(seg, '/'); i >= 0 {
		seg, next = seg[:i], pos+i+1
	}
	for i := range n.globs {
		if strings.HasPrefix(seg, n.globs[i].stem) {
			consider(best, n.globs[i].e)
		}
	}
	if c, ok := n.literal[seg]; ok {
		c.match(path, next, best)
	}
	if n.plus != nil {
		n.plus.match(path, next, best)
	}
}

func consider(best **entry, e *entry) {
	if *best == nil || (*best).rank.below(&e.rank) {
		*best = e
	}
}
