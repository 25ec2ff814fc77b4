package policy

import "strings"

// radixTree is a compressed prefix tree keyed by strings. It is built once
// when an ACL is compiled and only read afterwards, so it needs no locking
// and no deletion.
type radixTree struct {
	root radixNode
	size int
}

type radixNode struct {
	// label is the edge from the parent to this node.
	label string
	// key and val are set when a key ends at this node.
	key      string
	val      *entry
	children []*radixNode
}

// child returns the child whose label starts with b.
func (n *radixNode) child(b byte) *radixNode {
	for _, c := range n.children {
		if c.label[0] == b {
			return c
		}
	}
	return nil
}

// insert adds or replaces key.
func (t *radixTree) insert(key string, val *entry) {
	n, search := &t.root, key
	for {
		if search == "" {
			if n.val == nil {
				t.size++
			}
			n.key, n.val = key, val
			return
		}
		c := n.child(search[0])
		if c == nil {
			n.children = append(n.children, &radixNode{label: search, key: key, val: val})
			t.size++
			return
		}
		common := commonPrefixLen(search, c.label)
		if common == len(c.label) {
			n, search = c, search[common:]
			continue
		}
		// Split c: a new node holds the shared part of the label.
		mid := &radixNode{label: c.label[:common]}
		c.label = c.label[common:]
		mid.children = []*radixNode{c}
		for i, cc := range n.children {
			if cc == c {
				n.children[i] = mid
			}
		}
		n, search = mid, search[common:]
	}
}

func commonPrefixLen(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// longestPrefix returns the longest key that is a prefix of s.
func (t *radixTree) longestPrefix(s string) (string, *entry, bool) {
	n, search := &t.root, s
	var best *radixNode
	for {
		if n.val != nil {
			best = n
		}
		if search == "" {
			break
		}
		c := n.child(search[0])
		if c == nil || !strings.HasPrefix(search, c.label) {
			break
		}
		n, search = c, search[len(c.label):]
	}
	if best == nil {
		return "", nil, false
	}
	return best.key, best.val, true
}

// walkPrefix calls fn for every key that starts with prefix until fn
// returns true.
func (t *radixTree) walkPrefix(prefix string, fn func(key string, val *entry) bool) {
	n, search := &t.root, prefix
	for search != "" {
		c := n.child(search[0])
		if c == nil {
			return
		}
		switch {
		case strings.HasPrefix(search, c.label):
			n, search = c, search[len(c.label):]
		case strings.HasPrefix(c.label, search):
			n, search = c, ""
		default:
			return
		}
	}
	walkNode(n, fn)
}

// walk calls fn for every key until fn returns true.
func (t *radixTree) walk(fn func(key string, val *entry) bool) {
	walkNode(&t.root, fn)
}

func walkNode(n *radixNode, fn func(key string, val *entry) bool) bool {
	if n.val != nil && fn(n.key, n.val) {
		return true
	}
	for _, c := range n.children {
		if walkNode(c, fn) {
			return true
		}
	}
	return false
}
