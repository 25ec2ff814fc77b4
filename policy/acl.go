package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ACL is a compiled set of policies. It is immutable once built and safe
// for concurrent use.
type ACL struct {
	root bool
	// exact maps a pattern without wildcards to its rule.
	exact map[string]*entry
	// exactTree holds the same entries for prefix walks (mount access).
	exactTree radixTree
	// prefixes holds trailing-"*" patterns without "+", keyed by the stem.
	prefixes radixTree
	// segments holds the "+" patterns.
	segments segTrie
	// templated: some rules were left out to be rendered per entity.
	templated bool
}

// perms is what one pattern grants once every policy holding that exact
// pattern has been merged in.
type perms struct {
	caps     capSet
	names    []string // caps.names(), computed once
	allowed  map[string][]any
	denied   map[string][]any
	required []string
	minWrap  time.Duration
	maxWrap  time.Duration
	// granting lists, per capability bit, the policies that grant it.
	granting [8][]string
}

// Request is what an ACL check is asked about.
type Request struct {
	// Path is the full request path ("secret/data/my-api"); leading "/"
	// are ignored.
	Path string
	// Operation is create, read, update, patch, delete or list; renew,
	// revoke and rollback need update; help is always allowed. Anything
	// else is refused.
	Operation string
	// Data is the request body (or query parameters), checked against the
	// rule's parameter constraints on create, read, update and patch.
	Data map[string]any
	// WrapTTL is the response-wrapping TTL asked for; zero when none.
	WrapTTL time.Duration
	// SudoRequired marks a root-protected path: the deciding rule must also
	// grant sudo.
	SudoRequired bool
}

// Result is the answer to a check.
type Result struct {
	// Allowed is the verdict.
	Allowed bool
	// RootPrivs reports that the deciding rule grants sudo (always true for
	// the root policy), whether or not the operation itself was allowed.
	RootPrivs bool
	// IsRoot reports that the ACL is the root policy's.
	IsRoot bool
	// Capabilities are those of the deciding rule, sorted; ["deny"] when no
	// rule matches or the rule denies; ["root"] for the root policy.
	Capabilities []string
	// Pattern is the pattern of the deciding rule, "" when none matched.
	Pattern string
	// GrantingPolicies are the policies whose rules grant the operation's
	// capability on Pattern, set when Allowed.
	GrantingPolicies []string
	// Reason says why, for logs and audit; never send it to the client,
	// which gets only "permission denied".
	Reason string
}

// NewACL compiles a set of policies. Nil entries are skipped. The built-in
// root policy (RootPolicy) must be alone; a policy named "root" that is not
// the built-in one is refused.
func NewACL(policies []*Policy) (*ACL, error) {
	a := &ACL{exact: make(map[string]*entry)}
	n := 0
	for _, p := range policies {
		if p != nil {
			n++
		}
	}
	prefixes := make(map[string]*entry)
	segments := make(map[string]*entry)
	for _, p := range policies {
		if p == nil {
			continue
		}
		if p.root {
			if n != 1 {
				return nil, errors.New("policy: other policies present along with root")
			}
			a.root = true
			continue
		}
		if p.Name == Root {
			return nil, errors.New("policy: a policy named root must be the built-in root policy")
		}
		for _, r := range p.Rules {
			if r == nil {
				continue
			}
			if r.templated {
				// Filled in per entity: see Policy.Render.
				a.templated = true
				continue
			}
			if err := a.add(p.Name, r, prefixes, segments); err != nil {
				return nil, fmt.Errorf("policy %q: %w", p.Name, err)
			}
		}
	}
	for stem, e := range prefixes {
		a.prefixes.insert(stem, e)
	}
	for _, e := range segments {
		a.segments.insert(e)
	}
	// Sort the "+" patterns so walks over them are deterministic.
	slices.SortFunc(a.segments.all, func(x, y *entry) int { return strings.Compare(x.pattern, y.pattern) })
	for k, e := range a.exact {
		a.exactTree.insert(k, e)
	}
	return a, nil
}

// add merges one rule into the pattern tables.
func (a *ACL) add(policyName string, r *Rule, prefixes, segments map[string]*entry) error {
	pattern := r.Pattern
	var table map[string]*entry
	var key string
	var rk rank
	switch {
	case hasSegmentWildcard(pattern):
		table, key, rk = segments, pattern, segmentRank(pattern)
	case strings.HasSuffix(pattern, "*"):
		key = strings.TrimSuffix(pattern, "*")
		table, rk = prefixes, prefixRank(key)
	default:
		table, key = a.exact, pattern
	}
	caps, err := capsFromNames(r.Capabilities)
	if err != nil {
		return fmt.Errorf("path %q: %w", pattern, err)
	}
	e, ok := table[key]
	if !ok {
		table[key] = &entry{pattern: pattern, rank: rk, perms: newPerms(policyName, caps, r)}
		return nil
	}
	e.perms.merge(policyName, caps, r)
	return nil
}

func newPerms(policyName string, caps capSet, r *Rule) *perms {
	if caps&capDeny != 0 {
		p := &perms{caps: capDeny}
		p.names = p.caps.names()
		return p
	}
	p := &perms{
		caps:     caps,
		allowed:  cloneParams(r.AllowedParameters),
		denied:   cloneParams(r.DeniedParameters),
		required: slices.Clone(r.RequiredParameters),
		minWrap:  r.MinWrappingTTL,
		maxWrap:  r.MaxWrappingTTL,
	}
	p.grant(policyName, caps)
	p.names = p.caps.names()
	return p
}

// merge adds a rule with the same pattern, as Vault does: capabilities are
// unioned unless either side denies; the smaller wrapping TTL bounds win;
// parameter lists are concatenated, an empty (any value) list winning;
// required parameters are unioned.
func (p *perms) merge(policyName string, caps capSet, r *Rule) {
	defer func() { p.names = p.caps.names() }()
	switch {
	case p.caps&capDeny != 0:
		return
	case caps&capDeny != 0:
		p.caps = capDeny
		p.allowed, p.denied = nil, nil
		return
	}
	p.caps |= caps
	p.grant(policyName, caps)
	if r.MaxWrappingTTL > 0 && (p.maxWrap == 0 || r.MaxWrappingTTL < p.maxWrap) {
		p.maxWrap = r.MaxWrappingTTL
	}
	if r.MinWrappingTTL > 0 && (p.minWrap == 0 || r.MinWrappingTTL < p.minWrap) {
		p.minWrap = r.MinWrappingTTL
	}
	p.allowed = mergeParams(p.allowed, r.AllowedParameters)
	p.denied = mergeParams(p.denied, r.DeniedParameters)
	for _, k := range r.RequiredParameters {
		if !slices.Contains(p.required, k) {
			p.required = append(p.required, k)
		}
	}
}

func (p *perms) grant(policyName string, caps capSet) {
	for i := range p.granting {
		if caps&(1<<i) != 0 && !slices.Contains(p.granting[i], policyName) {
			p.granting[i] = append(p.granting[i], policyName)
		}
	}
}

func cloneParams(m map[string][]any) map[string][]any {
	if m == nil {
		return nil
	}
	out := make(map[string][]any, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

func mergeParams(have, add map[string][]any) map[string][]any {
	if len(add) == 0 {
		return have
	}
	if have == nil {
		return cloneParams(add)
	}
	for k, v := range add {
		old, ok := have[k]
		if len(v) == 0 || (ok && len(old) == 0) {
			have[k] = []any{}
			continue
		}
		have[k] = append(slices.Clone(v), old...)
	}
	return have
}

// Templated reports whether a policy of the set had templated rules, left
// out here; an ACL for a token with an entity is then built from the
// policies rendered for that entity.
func (a *ACL) Templated() bool { return a.templated }

// IsRoot reports whether this is the root policy's ACL.
func (a *ACL) IsRoot() bool { return a.root }

// lookup finds the rule that decides path: an exact pattern, else the
// highest-ranked glob or "+" pattern. A list also tries the path without its
// trailing "/", first exactly and then against the globs, as Vault does.
func (a *ACL) lookup(path string, list bool) *entry {
	if e, ok := a.exact[path]; ok {
		return e
	}
	trimmed, hadSlash := strings.CutSuffix(path, "/")
	if list {
		if e, ok := a.exact[trimmed]; ok {
			return e
		}
		if hadSlash {
			if e := a.nonExact(trimmed); e != nil {
				return e
			}
		}
	}
	return a.nonExact(path)
}

// nonExact returns the highest-ranked glob or "+" pattern matching path.
// Among plain globs only the longest matching stem can win.
func (a *ACL) nonExact(path string) *entry {
	var best *entry
	if _, e, ok := a.prefixes.longestPrefix(path); ok {
		best = e
	}
	a.segments.match(path, &best)
	return best
}

// reasonGranted is Result.Reason when a rule allows the request; Pattern
// names the rule. It is a constant so that the common case formats nothing.
const reasonGranted = "granted by the rule in Pattern"

// Allowed checks one request.
func (a *ACL) Allowed(req Request) Result {
	if a.root {
		return Result{Allowed: true, RootPrivs: true, IsRoot: true,
			Capabilities: []string{CapRoot}, GrantingPolicies: []string{Root}, Reason: "root policy"}
	}
	op := strings.ToLower(req.Operation)
	if op == "help" {
		return Result{Allowed: true, Capabilities: []string{CapDeny}, Reason: "help is always allowed"}
	}
	need, ok := opCapability(op)
	if !ok {
		return Result{Capabilities: []string{CapDeny}, Reason: fmt.Sprintf("unknown operation %q", req.Operation)}
	}
	e := a.lookup(strings.TrimLeft(req.Path, "/"), op == CapList)
	if e == nil {
		return Result{Capabilities: []string{CapDeny}, Reason: "no policy rule matches the path"}
	}
	p := e.perms
	res := Result{
		RootPrivs:    p.caps&capSudo != 0,
		Capabilities: slices.Clone(p.names),
		Pattern:      e.pattern,
	}
	if reason := p.check(op, need, req); reason != "" {
		res.Reason = fmt.Sprintf("rule %q: %s", e.pattern, reason)
		return res
	}
	if req.SudoRequired && !res.RootPrivs {
		res.Reason = fmt.Sprintf("rule %q: the path requires sudo", e.pattern)
		return res
	}
	res.Allowed = true
	res.GrantingPolicies = slices.Clone(p.granting[bitIndex(need)])
	res.Reason = reasonGranted
	return res
}

// check returns why the rule refuses the operation, or "" when it allows it.
func (p *perms) check(op string, need capSet, req Request) string {
	if p.caps&capDeny != 0 {
		return "denies the path"
	}
	if p.caps&need == 0 {
		return fmt.Sprintf("does not grant %s", op)
	}
	if p.maxWrap > 0 && (req.WrapTTL == 0 || req.WrapTTL > p.maxWrap) {
		return fmt.Sprintf("requires a wrapping TTL of at most %s", p.maxWrap)
	}
	if p.minWrap > 0 && (req.WrapTTL == 0 || req.WrapTTL < p.minWrap) {
		return fmt.Sprintf("requires a wrapping TTL of at least %s", p.minWrap)
	}
	if p.minWrap != 0 && p.maxWrap != 0 && p.maxWrap < p.minWrap {
		return "merged wrapping TTL bounds cannot be met"
	}
	switch op {
	case CapCreate, CapRead, CapUpdate, CapPatch:
		return p.checkParams(req.Data)
	}
	return ""
}

func bitIndex(c capSet) int {
	for i := 0; i < 16; i++ {
		if c == 1<<i {
			return i
		}
	}
	return 0
}

// Capabilities returns the capabilities the ACL grants on path, sorted, as
// sys/capabilities reports them: ["root"] for the root policy, ["deny"] when
// nothing matches or the deciding rule denies. Like Vault it looks the path
// up as a list would, so "secret/foo/" also finds a rule for "secret/foo".
func (a *ACL) Capabilities(path string) []string {
	if a.root {
		return []string{CapRoot}
	}
	e := a.lookup(strings.TrimLeft(path, "/"), true)
	if e == nil {
		return []string{CapDeny}
	}
	return slices.Clone(e.perms.names)
}
