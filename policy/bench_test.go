package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// benchPolicies builds n policies of 20 path rules each: exact paths, trailing
// globs and "+" patterns in the proportions real policies tend to have.
func benchPolicies(tb testing.TB, n int) []*Policy {
	tb.Helper()
	ps := make([]*Policy, 0, n)
	for i := 0; i < n; i++ {
		var b strings.Builder
		for j := 0; j < 20; j++ {
			var pattern string
			switch j % 4 {
			case 0:
				pattern = fmt.Sprintf("secret/data/team%d/app%d", i, j)
			case 1:
				pattern = fmt.Sprintf("secret/metadata/team%d/app%d/*", i, j)
			case 2:
				pattern = fmt.Sprintf("kv/data/+/team%d/svc%d", i, j)
			case 3:
				pattern = fmt.Sprintf("auth/+/role/team%d-%d/*", i, j)
			}
			fmt.Fprintf(&b, "path %q {\n  capabilities = [\"read\", \"list\", \"update\"]\n}\n", pattern)
		}
		p, err := Parse(fmt.Sprintf("team%d", i), b.String())
		if err != nil {
			tb.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

func benchACL(b *testing.B, n int) *ACL {
	b.Helper()
	acl, err := NewACL(benchPolicies(b, n))
	if err != nil {
		b.Fatal(err)
	}
	return acl
}

// BenchmarkACLCheck is the check core makes on every request, for a token
// holding 50 policies of 20 paths each (plus 5 and 500 to show that the cost
// does not grow with the number of rules).
func BenchmarkACLCheck(b *testing.B) {
	for _, n := range []int{5, 50, 500} {
		acl := benchACL(b, n)
		plus := Request{Path: "kv/data/prod/team3/svc2", Operation: "read"}
		none := Request{Path: "database/creds/readonly", Operation: "read"}
		if !acl.Allowed(plus).Allowed || acl.Allowed(none).Allowed {
			b.Fatal("benchmark paths do not behave as intended")
		}
		b.Run(fmt.Sprintf("policies=%d/plus_rule", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				acl.Allowed(plus)
			}
		})
		b.Run(fmt.Sprintf("policies=%d/no_match", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				acl.Allowed(none)
			}
		})
	}
}

// BenchmarkNewACL is the cost of a cache miss: compiling 50 policies of 20
// paths.
func BenchmarkNewACL(b *testing.B) {
	ps := benchPolicies(b, 50)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewACL(ps); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCacheHit is the lookup core makes before every check, for a
// token with 50 policies: names already sorted and lower-case (as a token
// store keeps them) and in arbitrary order.
func BenchmarkCacheHit(b *testing.B) {
	ps := benchPolicies(b, 50)
	byName := make(map[string]*Policy, len(ps))
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		byName[p.Name] = p
		names = append(names, p.Name)
	}
	load := func(n string) (*Policy, error) { return byName[n], nil }
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	for _, bc := range []struct {
		name  string
		names []string
	}{{"sorted", sorted}, {"unsorted", names}} {
		c := NewCache(16)
		if _, err := c.Get(bc.names, load); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Get(bc.names, load); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
