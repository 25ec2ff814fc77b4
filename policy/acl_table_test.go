package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
)

// aclCase is one row of the ACL table: the policies (HCL, named p0, p1...),
// the request, and the expected verdict and deciding rule's capabilities.
type aclCase struct {
	name     string
	policies []string
	path     string
	op       string
	data     map[string]any
	wrap     time.Duration
	sudo     bool
	allowed  bool
	caps     []string
}

func caps(c ...string) []string { return c }

var deny = caps(CapDeny)

// aclCases is the table. Every case is named after the rule it tests.
func aclCases() []aclCase {
	const (
		readA     = `path "secret/a" { capabilities = ["read"] }`
		updateA   = `path "secret/a" { capabilities = ["update"] }`
		denyA     = `path "secret/a" { capabilities = ["deny"] }`
		readGlob  = `path "secret/*" { capabilities = ["read"] }`
		roleAB    = `path "auth/x/role" { capabilities = ["update", "read", "create", "patch", "delete", "list"] allowed_parameters = { "role" = ["a", "b"] } }`
		wrapRange = `path "sys/w" { capabilities = ["update"] min_wrapping_ttl = "1m" max_wrapping_ttl = "1h" }`
	)
	d := func(kv ...any) map[string]any {
		m := make(map[string]any)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	return []aclCase{
		// Exact patterns.
		{name: "exact/matches_its_path", policies: []string{readA}, path: "secret/a", op: "read", allowed: true, caps: caps("read")},
		{name: "exact/does_not_match_sibling", policies: []string{readA}, path: "secret/b", op: "read", caps: deny},
		{name: "exact/does_not_match_child", policies: []string{readA}, path: "secret/a/b", op: "read", caps: deny},
		{name: "exact/does_not_match_prefix_of_itself", policies: []string{readA}, path: "secret/", op: "read", caps: deny},
		{name: "exact/grants_only_listed_capability", policies: []string{readA}, path: "secret/a", op: "update", caps: caps("read")},
		{name: "exact/leading_slash_in_pattern_ignored", policies: []string{`path "/secret/a" { capabilities = ["read"] }`}, path: "secret/a", op: "read", allowed: true, caps: caps("read")},
		{name: "exact/leading_slash_in_request_ignored", policies: []string{readA}, path: "/secret/a", op: "read", allowed: true, caps: caps("read")},
		{name: "exact/plus_inside_segment_is_literal", policies: []string{`path "secret/a+b" { capabilities = ["read"] }`}, path: "secret/a+b", op: "read", allowed: true, caps: caps("read")},
		{name: "exact/plus_inside_segment_matches_no_other", policies: []string{`path "secret/a+b" { capabilities = ["read"] }`}, path: "secret/axb", op: "read", caps: deny},
		{name: "exact/star_in_middle_is_literal", policies: []string{`path "secret/*/x" { capabilities = ["read"] }`}, path: "secret/a/x", op: "read", caps: deny},
		{name: "exact/beats_glob", policies: []string{readGlob, `path "secret/a" { capabilities = ["update"] }`}, path: "secret/a", op: "read", caps: caps("update")},
		{name: "exact/beats_plus", policies: []string{`path "secret/+" { capabilities = ["read"] }`, updateA}, path: "secret/a", op: "update", allowed: true, caps: caps("update")},

		// Trailing "*" globs: prefix match.
		{name: "glob/matches_deep_path", policies: []string{readGlob}, path: "secret/x/y/z", op: "read", allowed: true, caps: caps("read")},
		{name: "glob/matches_its_stem", policies: []string{readGlob}, path: "secret/", op: "read", allowed: true, caps: caps("read")},
		{name: "glob/does_not_match_shorter_path", policies: []string{readGlob}, path: "secret", op: "read", caps: deny},
		{name: "glob/matches_inside_segment", policies: []string{`path "secret/fo*" { capabilities = ["read"] }`}, path: "secret/foo/bar", op: "read", allowed: true, caps: caps("read")},
		{name: "glob/inside_segment_no_match", policies: []string{`path "secret/fo*" { capabilities = ["read"] }`}, path: "secret/bar", op: "read", caps: deny},
		{name: "glob/lone_star_matches_everything", policies: []string{`path "*" { capabilities = ["list"] }`}, path: "anything/at/all/", op: "list", allowed: true, caps: caps("list")},
		{name: "glob/only_last_star_is_glob", policies: []string{`path "secret/**" { capabilities = ["read"] }`}, path: "secret/a", op: "read", caps: deny},

		// "+" matches exactly one segment, anywhere.
		{name: "plus/matches_one_segment", policies: []string{`path "secret/+/config" { capabilities = ["read"] }`}, path: "secret/app/config", op: "read", allowed: true, caps: caps("read")},
		{name: "plus/does_not_match_zero_segments", policies: []string{`path "secret/+/config" { capabilities = ["read"] }`}, path: "secret/config", op: "read", caps: deny},
		{name: "plus/does_not_match_two_segments", policies: []string{`path "secret/+/config" { capabilities = ["read"] }`}, path: "secret/a/b/config", op: "read", caps: deny},
		{name: "plus/trailing_matches_last_segment", policies: []string{`path "secret/+" { capabilities = ["read"] }`}, path: "secret/a", op: "read", allowed: true, caps: caps("read")},
		{name: "plus/trailing_does_not_match_deeper", policies: []string{`path "secret/+" { capabilities = ["read"] }`}, path: "secret/a/b", op: "read", caps: deny},
		{name: "plus/leading_segment", policies: []string{`path "+/data" { capabilities = ["read"] }`}, path: "kv/data", op: "read", allowed: true, caps: caps("read")},
		{name: "plus/alone_matches_single_segment", policies: []string{`path "+" { capabilities = ["read"] }`}, path: "sys", op: "read", allowed: true, caps: caps("read")},
		{name: "plus/alone_does_not_match_two", policies: []string{`path "+" { capabilities = ["read"] }`}, path: "sys/x", op: "read", caps: deny},
		{name: "plus/matches_empty_trailing_segment_like_vault", policies: []string{`path "secret/+" { capabilities = ["list"] }`}, path: "secret/", op: "list", allowed: true, caps: caps("list")},
		{name: "plus/several_wildcards", policies: []string{`path "a/+/b/+" { capabilities = ["read"] }`}, path: "a/1/b/2", op: "read", allowed: true, caps: caps("read")},
		{name: "plus/literal_segment_must_match", policies: []string{`path "a/+/b" { capabilities = ["read"] }`}, path: "a/1/c", op: "read", caps: deny},
		{name: "plus/with_trailing_glob", policies: []string{`path "secret/+/ab*" { capabilities = ["read"] }`}, path: "secret/x/abc/d", op: "read", allowed: true, caps: caps("read")},
		{name: "plus/with_trailing_glob_no_match", policies: []string{`path "secret/+/ab*" { capabilities = ["read"] }`}, path: "secret/x/b", op: "read", caps: deny},
		{name: "plus/with_glob_needs_the_segment", policies: []string{`path "secret/+/*" { capabilities = ["read"] }`}, path: "secret/x", op: "read", caps: deny},
		{name: "plus/with_glob_matches_below", policies: []string{`path "secret/+/*" { capabilities = ["read"] }`}, path: "secret/x/y/z", op: "read", allowed: true, caps: caps("read")},

		// Priority 1: the pattern whose first + or * comes later wins.
		{name: "priority1/later_glob_beats_earlier_plus", policies: []string{`path "secret/+/x" { capabilities = ["read"] }`, `path "secret/a*" { capabilities = ["update"] }`}, path: "secret/ab/x", op: "update", allowed: true, caps: caps("update")},
		{name: "priority1/earlier_plus_loses", policies: []string{`path "secret/+/x" { capabilities = ["read"] }`, `path "secret/a*" { capabilities = ["update"] }`}, path: "secret/ab/x", op: "read", caps: caps("update")},
		{name: "priority1/later_plus_beats_earlier_plus", policies: []string{`path "secret/+/+/c" { capabilities = ["read"] }`, `path "secret/a/+/c" { capabilities = ["update"] }`}, path: "secret/a/b/c", op: "update", allowed: true, caps: caps("update")},
		{name: "priority1/longer_glob_stem_beats_shorter", policies: []string{readGlob, `path "secret/team/*" { capabilities = ["list"] }`}, path: "secret/team/x", op: "read", caps: caps("list")},
		{name: "priority1/later_plus_beats_earlier_glob", policies: []string{`path "se*" { capabilities = ["read"] }`, `path "secret/+" { capabilities = ["update"] }`}, path: "secret/a", op: "update", allowed: true, caps: caps("update")},

		// Priority 2: at the same position, a pattern ending in * loses.
		{name: "priority2/non_glob_beats_glob", policies: []string{`path "secret/+/bar" { capabilities = ["read"] }`, `path "secret/+/ba*" { capabilities = ["update"] }`}, path: "secret/x/bar", op: "read", allowed: true, caps: caps("read")},
		{name: "priority2/glob_still_decides_where_only_it_matches", policies: []string{`path "secret/+/bar" { capabilities = ["read"] }`, `path "secret/+/ba*" { capabilities = ["update"] }`}, path: "secret/x/baz", op: "update", allowed: true, caps: caps("update")},
		{name: "priority2/plus_beats_star_at_same_position", policies: []string{`path "foo/+" { capabilities = ["read"] }`, `path "foo/*" { capabilities = ["update"] }`}, path: "foo/x", op: "update", caps: caps("read")},

		// Priority 3: more + segments lose.
		{name: "priority3/fewer_plus_segments_win", policies: []string{`path "a/+/+/d" { capabilities = ["read"] }`, `path "a/+/c/d" { capabilities = ["update"] }`}, path: "a/b/c/d", op: "update", allowed: true, caps: caps("update")},
		{name: "priority3/fewer_plus_segments_win_with_globs", policies: []string{`path "a/+/+/*" { capabilities = ["read"] }`, `path "a/+/c/*" { capabilities = ["update"] }`}, path: "a/b/c/d/e", op: "read", caps: caps("update")},

		// Priority 4: the shorter pattern loses.
		{name: "priority4/longer_pattern_wins", policies: []string{`path "foo/+/bar/b*" { capabilities = ["read"] }`, `path "foo/+/bar/ba*" { capabilities = ["update"] }`}, path: "foo/x/bar/baz", op: "update", allowed: true, caps: caps("update")},
		{name: "priority4/shorter_pattern_loses", policies: []string{`path "a/+/*" { capabilities = ["read"] }`, `path "a/+/x*" { capabilities = ["list"] }`}, path: "a/b/xy", op: "read", caps: caps("list")},

		// Priority 5: the pattern that sorts lower loses.
		{name: "priority5/lexically_greater_wins", policies: []string{`path "k+/+/z" { capabilities = ["read"] }`, `path "k+/q/+" { capabilities = ["update"] }`}, path: "k+/q/z", op: "update", allowed: true, caps: caps("update")},
		{name: "priority5/lexically_lower_loses", policies: []string{`path "k+/q/+" { capabilities = ["update"] }`, `path "k+/+/z" { capabilities = ["read"] }`}, path: "k+/q/z", op: "read", caps: caps("update")},

		// The deciding rule alone decides: no union across patterns.
		{name: "decide/no_union_across_different_patterns", policies: []string{readGlob, `path "secret/+" { capabilities = ["update"] }`}, path: "secret/x", op: "read", caps: caps("update")},

		// Identical patterns across policies: capabilities unioned.
		{name: "union/identical_exact_patterns", policies: []string{readA, updateA}, path: "secret/a", op: "update", allowed: true, caps: caps("read", "update")},
		{name: "union/identical_glob_patterns", policies: []string{readGlob, `path "secret/*" { capabilities = ["list"] }`}, path: "secret/x/", op: "list", allowed: true, caps: caps("list", "read")},
		{name: "union/identical_plus_patterns", policies: []string{`path "s/+" { capabilities = ["read"] }`, `path "s/+" { capabilities = ["delete"] }`}, path: "s/x", op: "delete", allowed: true, caps: caps("delete", "read")},
		{name: "union/same_pattern_twice_in_one_policy", policies: []string{readA + "\n" + updateA}, path: "secret/a", op: "read", allowed: true, caps: caps("read", "update")},
		{name: "union/deny_in_later_policy_wins", policies: []string{readA, denyA}, path: "secret/a", op: "read", caps: deny},
		{name: "union/deny_in_earlier_policy_wins", policies: []string{denyA, readA}, path: "secret/a", op: "read", caps: deny},

		// Deny in the deciding rule denies everything.
		{name: "deny/refuses_read", policies: []string{denyA}, path: "secret/a", op: "read", caps: deny},
		{name: "deny/refuses_list", policies: []string{denyA}, path: "secret/a", op: "list", caps: deny},
		{name: "deny/refuses_delete", policies: []string{denyA}, path: "secret/a", op: "delete", caps: deny},
		{name: "deny/refuses_sudo_path", policies: []string{`path "sys/raw/*" { capabilities = ["deny", "sudo", "read"] }`}, path: "sys/raw/x", op: "read", sudo: true, caps: deny},
		{name: "deny/with_other_capabilities_is_deny", policies: []string{`path "secret/a" { capabilities = ["read", "deny"] }`}, path: "secret/a", op: "read", caps: deny},
		{name: "deny/longer_glob_deny_beats_grant", policies: []string{readGlob, `path "secret/private/*" { capabilities = ["deny"] }`}, path: "secret/private/x", op: "read", caps: deny},
		{name: "deny/shorter_glob_deny_loses_to_longer_grant", policies: []string{`path "secret/*" { capabilities = ["deny"] }`, `path "secret/public/*" { capabilities = ["read"] }`}, path: "secret/public/x", op: "read", allowed: true, caps: caps("read")},
		{name: "deny/glob_deny_loses_to_exact_grant", policies: []string{`path "secret/*" { capabilities = ["deny"] }`, readA}, path: "secret/a", op: "read", allowed: true, caps: caps("read")},

		// Sudo on root-protected paths.
		{name: "sudo/required_and_granted", policies: []string{`path "sys/audit/*" { capabilities = ["update", "sudo"] }`}, path: "sys/audit/file", op: "update", sudo: true, allowed: true, caps: caps("sudo", "update")},
		{name: "sudo/required_not_granted", policies: []string{`path "sys/audit/*" { capabilities = ["update"] }`}, path: "sys/audit/file", op: "update", sudo: true, caps: caps("update")},
		{name: "sudo/alone_grants_no_operation", policies: []string{`path "sys/audit/*" { capabilities = ["sudo"] }`}, path: "sys/audit/file", op: "update", sudo: true, caps: caps("sudo")},
		{name: "sudo/not_needed_on_ordinary_path", policies: []string{`path "secret/a" { capabilities = ["read", "sudo"] }`}, path: "secret/a", op: "read", allowed: true, caps: caps("read", "sudo")},
		{name: "sudo/lower_priority_rule_does_not_lend_sudo", policies: []string{`path "sys/*" { capabilities = ["read", "sudo"] }`, `path "sys/audit" { capabilities = ["read"] }`}, path: "sys/audit", op: "read", sudo: true, caps: caps("read")},

		// Operations map to capabilities.
		{name: "op/create_needs_create", policies: []string{`path "s/a" { capabilities = ["update"] }`}, path: "s/a", op: "create", caps: caps("update")},
		{name: "op/patch_needs_patch_not_update", policies: []string{`path "s/a" { capabilities = ["update"] }`}, path: "s/a", op: "patch", caps: caps("update")},
		{name: "op/patch_granted", policies: []string{`path "s/a" { capabilities = ["patch"] }`}, path: "s/a", op: "patch", allowed: true, caps: caps("patch")},
		{name: "op/renew_needs_update", policies: []string{`path "s/a" { capabilities = ["update"] }`}, path: "s/a", op: "renew", allowed: true, caps: caps("update")},
		{name: "op/revoke_needs_update", policies: []string{`path "s/a" { capabilities = ["delete"] }`}, path: "s/a", op: "revoke", caps: caps("delete")},
		{name: "op/unknown_operation_refused", policies: []string{`path "*" { capabilities = ["create", "read", "update", "patch", "delete", "list", "sudo"] }`}, path: "s/a", op: "frobnicate", caps: deny},
		{name: "op/help_always_allowed", policies: nil, path: "s/a", op: "help", allowed: true, caps: deny},
		{name: "op/list_trims_slash_for_exact", policies: []string{`path "secret/metadata" { capabilities = ["list"] }`}, path: "secret/metadata/", op: "list", allowed: true, caps: caps("list")},
		{name: "op/read_does_not_trim_slash", policies: []string{`path "secret/metadata" { capabilities = ["read"] }`}, path: "secret/metadata/", op: "read", caps: deny},
		{name: "op/list_checks_path_without_slash_first", policies: []string{`path "secret/fo*" { capabilities = ["list"] }`, `path "secret/foo/*" { capabilities = ["deny"] }`}, path: "secret/foo/", op: "list", allowed: true, caps: caps("list")},
		{name: "op/read_of_same_path_uses_longer_glob", policies: []string{`path "secret/fo*" { capabilities = ["read"] }`, `path "secret/foo/*" { capabilities = ["deny"] }`}, path: "secret/foo/", op: "read", caps: deny},
		{name: "op/no_policies_denies", policies: nil, path: "secret/a", op: "read", caps: deny},

		// Parameter constraints.
		{name: "params/allowed_value_accepted", policies: []string{roleAB}, path: "auth/x/role", op: "update", data: d("role", "a"), allowed: true, caps: caps("create", "delete", "list", "patch", "read", "update")},
		{name: "params/allowed_value_refused", policies: []string{roleAB}, path: "auth/x/role", op: "update", data: d("role", "c"), caps: caps("create", "delete", "list", "patch", "read", "update")},
		{name: "params/unlisted_parameter_refused", policies: []string{roleAB}, path: "auth/x/role", op: "create", data: d("role", "a", "other", "x"), caps: caps("create", "delete", "list", "patch", "read", "update")},
		{name: "params/no_data_passes_allowed_list", policies: []string{roleAB}, path: "auth/x/role", op: "update", allowed: true, caps: caps("create", "delete", "list", "patch", "read", "update")},
		{name: "params/checked_on_patch", policies: []string{roleAB}, path: "auth/x/role", op: "patch", data: d("role", "z"), caps: caps("create", "delete", "list", "patch", "read", "update")},
		{name: "params/checked_on_read", policies: []string{roleAB}, path: "auth/x/role", op: "read", data: d("version", "2"), caps: caps("create", "delete", "list", "patch", "read", "update")},
		{name: "params/not_checked_on_delete", policies: []string{roleAB}, path: "auth/x/role", op: "delete", data: d("role", "z"), allowed: true, caps: caps("create", "delete", "list", "patch", "read", "update")},
		{name: "params/not_checked_on_list", policies: []string{roleAB}, path: "auth/x/role", op: "list", data: d("role", "z"), allowed: true, caps: caps("create", "delete", "list", "patch", "read", "update")},
		{name: "params/allowed_empty_list_means_any_value", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "role" = [] } }`}, path: "p", op: "update", data: d("role", "anything"), allowed: true, caps: caps("update")},
		{name: "params/allowed_star_key_alone_allows_all", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "*" = [] } }`}, path: "p", op: "update", data: d("x", 1, "y", "z"), allowed: true, caps: caps("update")},
		{name: "params/allowed_star_key_lets_unlisted_through", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "*" = [] "role" = ["a"] } }`}, path: "p", op: "update", data: d("other", "x", "role", "a"), allowed: true, caps: caps("update")},
		{name: "params/allowed_star_key_still_checks_listed", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "*" = [] "role" = ["a"] } }`}, path: "p", op: "update", data: d("other", "x", "role", "b"), caps: caps("update")},
		{name: "params/glob_value_prefix", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "env" = ["dev-*"] } }`}, path: "p", op: "update", data: d("env", "dev-42"), allowed: true, caps: caps("update")},
		{name: "params/glob_value_prefix_no_match", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "env" = ["dev-*"] } }`}, path: "p", op: "update", data: d("env", "prod"), caps: caps("update")},
		{name: "params/glob_value_suffix", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "host" = ["*.example.com"] } }`}, path: "p", op: "update", data: d("host", "a.example.com"), allowed: true, caps: caps("update")},
		{name: "params/glob_value_contains", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "n" = ["*mid*"] } }`}, path: "p", op: "update", data: d("n", "amidst"), allowed: true, caps: caps("update")},
		{name: "params/lone_star_value_is_literal", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "n" = ["*"] } }`}, path: "p", op: "update", data: d("n", "x"), caps: caps("update")},
		{name: "params/denied_value_refused", policies: []string{`path "p" { capabilities = ["update"] denied_parameters = { "role" = ["admin"] } }`}, path: "p", op: "update", data: d("role", "admin"), caps: caps("update")},
		{name: "params/denied_list_other_value_passes", policies: []string{`path "p" { capabilities = ["update"] denied_parameters = { "role" = ["admin"] } }`}, path: "p", op: "update", data: d("role", "user"), allowed: true, caps: caps("update")},
		{name: "params/denied_empty_list_refuses_any_value", policies: []string{`path "p" { capabilities = ["update"] denied_parameters = { "role" = [] } }`}, path: "p", op: "update", data: d("role", "user"), caps: caps("update")},
		{name: "params/denied_star_key_refuses_any_data", policies: []string{`path "p" { capabilities = ["update"] denied_parameters = { "*" = [] } }`}, path: "p", op: "update", data: d("x", "y"), caps: caps("update")},
		{name: "params/denied_star_key_passes_empty_data", policies: []string{`path "p" { capabilities = ["update"] denied_parameters = { "*" = [] } }`}, path: "p", op: "update", allowed: true, caps: caps("update")},
		{name: "params/denied_beats_allowed", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "role" = [] } denied_parameters = { "role" = ["admin"] } }`}, path: "p", op: "update", data: d("role", "admin"), caps: caps("update")},
		{name: "params/denied_glob_value", policies: []string{`path "p" { capabilities = ["update"] denied_parameters = { "role" = ["adm*"] } }`}, path: "p", op: "update", data: d("role", "administrator"), caps: caps("update")},
		{name: "params/required_missing_refused", policies: []string{`path "p" { capabilities = ["update"] required_parameters = ["reason"] }`}, path: "p", op: "update", data: d("x", "y"), caps: caps("update")},
		{name: "params/required_present_accepted", policies: []string{`path "p" { capabilities = ["update"] required_parameters = ["reason"] }`}, path: "p", op: "update", data: d("reason", "audit"), allowed: true, caps: caps("update")},
		{name: "params/required_checked_with_no_data", policies: []string{`path "p" { capabilities = ["read"] required_parameters = ["version"] }`}, path: "p", op: "read", caps: caps("read")},
		{name: "params/list_value_every_element_allowed", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "policies" = ["a", "b"] } }`}, path: "p", op: "update", data: d("policies", []any{"a", "b"}), allowed: true, caps: caps("update")},
		{name: "params/list_value_one_element_not_allowed", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "policies" = ["a", "b"] } }`}, path: "p", op: "update", data: d("policies", []any{"a", "root"}), caps: caps("update")},
		{name: "params/comma_string_split_like_cli", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "policies" = ["a", "b"] } }`}, path: "p", op: "update", data: d("policies", "a, b"), allowed: true, caps: caps("update")},
		{name: "params/comma_string_bad_element_refused", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "policies" = ["a", "b"] } }`}, path: "p", op: "update", data: d("policies", "a,root"), caps: caps("update")},
		{name: "params/denied_any_list_element", policies: []string{`path "p" { capabilities = ["update"] denied_parameters = { "policies" = ["root"] } }`}, path: "p", op: "update", data: d("policies", []any{"a", "root"}), caps: caps("update")},
		{name: "params/denied_comma_string_element", policies: []string{`path "p" { capabilities = ["update"] denied_parameters = { "policies" = ["root"] } }`}, path: "p", op: "update", data: d("policies", "a, root"), caps: caps("update")},
		{name: "params/empty_string_must_match_itself", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "role" = ["a"] } }`}, path: "p", op: "update", data: d("role", ""), caps: caps("update")},
		{name: "params/keys_case_insensitive", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "Role" = ["a"] } }`}, path: "p", op: "update", data: d("ROLE", "a"), allowed: true, caps: caps("update")},
		{name: "params/number_matches_json_number", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "ttl" = [60] } }`}, path: "p", op: "update", data: d("ttl", json.Number("60")), allowed: true, caps: caps("update")},
		{name: "params/number_matches_cli_string", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "ttl" = [60] } }`}, path: "p", op: "update", data: d("ttl", "60"), allowed: true, caps: caps("update")},
		{name: "params/number_other_value_refused", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "ttl" = [60] } }`}, path: "p", op: "update", data: d("ttl", 61.0), caps: caps("update")},
		{name: "params/bool_matches_cli_string", policies: []string{`path "p" { capabilities = ["update"] denied_parameters = { "force" = [true] } }`}, path: "p", op: "update", data: d("force", "true"), caps: caps("update")},
		{name: "params/nested_object_never_matches_values", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "o" = ["x"] } }`}, path: "p", op: "update", data: d("o", map[string]any{"k": "x"}), caps: caps("update")},
		{name: "params/merged_allowed_values_unioned", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "role" = ["a"] } }`, `path "p" { capabilities = ["update"] allowed_parameters = { "role" = ["b"] } }`}, path: "p", op: "update", data: d("role", "b"), allowed: true, caps: caps("update")},
		{name: "params/merged_empty_list_wins", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "role" = ["a"] } }`, `path "p" { capabilities = ["update"] allowed_parameters = { "role" = [] } }`}, path: "p", op: "update", data: d("role", "zzz"), allowed: true, caps: caps("update")},
		{name: "params/merged_restriction_from_either_policy_applies", policies: []string{`path "p" { capabilities = ["update"] }`, `path "p" { capabilities = ["read"] allowed_parameters = { "role" = ["a"] } }`}, path: "p", op: "update", data: d("role", "b"), caps: caps("read", "update")},
		{name: "params/merged_required_unioned", policies: []string{`path "p" { capabilities = ["update"] required_parameters = ["a"] }`, `path "p" { capabilities = ["update"] required_parameters = ["b"] }`}, path: "p", op: "update", data: d("a", 1), caps: caps("update")},
		{name: "params/merged_deny_drops_constraints", policies: []string{`path "p" { capabilities = ["update"] allowed_parameters = { "role" = [] } }`, `path "p" { capabilities = ["deny"] }`}, path: "p", op: "update", data: d("role", "a"), caps: deny},

		// Response-wrapping TTL bounds.
		{name: "wrap/within_bounds", policies: []string{wrapRange}, path: "sys/w", op: "update", wrap: 30 * time.Minute, allowed: true, caps: caps("update")},
		{name: "wrap/above_max_refused", policies: []string{wrapRange}, path: "sys/w", op: "update", wrap: 2 * time.Hour, caps: caps("update")},
		{name: "wrap/below_min_refused", policies: []string{wrapRange}, path: "sys/w", op: "update", wrap: 30 * time.Second, caps: caps("update")},
		{name: "wrap/unwrapped_request_refused", policies: []string{wrapRange}, path: "sys/w", op: "update", caps: caps("update")},
		{name: "wrap/merged_smaller_max_wins", policies: []string{`path "w" { capabilities = ["read"] max_wrapping_ttl = 600 }`, `path "w" { capabilities = ["read"] max_wrapping_ttl = 60 }`}, path: "w", op: "read", wrap: 5 * time.Minute, caps: caps("read")},

		// The legacy `policy` shorthand.
		{name: "legacy/read_grants_read", policies: []string{`path "l/*" { policy = "read" }`}, path: "l/x", op: "read", allowed: true, caps: caps("list", "read")},
		{name: "legacy/read_grants_list", policies: []string{`path "l/*" { policy = "read" }`}, path: "l/", op: "list", allowed: true, caps: caps("list", "read")},
		{name: "legacy/read_refuses_update", policies: []string{`path "l/*" { policy = "read" }`}, path: "l/x", op: "update", caps: caps("list", "read")},
		{name: "legacy/write_grants_crud_and_list", policies: []string{`path "l/*" { policy = "write" }`}, path: "l/x", op: "delete", allowed: true, caps: caps("create", "delete", "list", "read", "update")},
		{name: "legacy/write_does_not_grant_patch", policies: []string{`path "l/*" { policy = "write" }`}, path: "l/x", op: "patch", caps: caps("create", "delete", "list", "read", "update")},
		{name: "legacy/write_does_not_grant_sudo", policies: []string{`path "l/*" { policy = "write" }`}, path: "l/x", op: "update", sudo: true, caps: caps("create", "delete", "list", "read", "update")},
		{name: "legacy/sudo_grants_sudo", policies: []string{`path "l/*" { policy = "sudo" }`}, path: "l/x", op: "update", sudo: true, allowed: true, caps: caps("create", "delete", "list", "read", "sudo", "update")},
		{name: "legacy/deny_denies", policies: []string{readGlob, `path "secret/x/*" { policy = "deny" }`}, path: "secret/x/y", op: "read", caps: deny},
		{name: "legacy/adds_to_capabilities", policies: []string{`path "l/*" { policy = "read" capabilities = ["patch"] }`}, path: "l/x", op: "patch", allowed: true, caps: caps("list", "patch", "read")},
		{name: "legacy/deny_overrides_capabilities", policies: []string{`path "l/*" { policy = "deny" capabilities = ["read"] }`}, path: "l/x", op: "read", caps: deny},
	}
}

func compile(t testing.TB, texts ...string) *ACL {
	t.Helper()
	ps := make([]*Policy, 0, len(texts))
	for i, text := range texts {
		p, err := Parse(fmt.Sprintf("p%d", i), text)
		if err != nil {
			t.Fatalf("Parse(p%d): %v\n%s", i, err, text)
		}
		ps = append(ps, p)
	}
	acl, err := NewACL(ps)
	if err != nil {
		t.Fatalf("NewACL: %v", err)
	}
	return acl
}

func TestACLTable(t *testing.T) {
	cases := aclCases()
	if len(cases) < 80 {
		t.Fatalf("table has %d cases, want at least 80", len(cases))
	}
	seen := make(map[string]bool)
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			acl := compile(t, tc.policies...)
			res := acl.Allowed(Request{Path: tc.path, Operation: tc.op, Data: tc.data, WrapTTL: tc.wrap, SudoRequired: tc.sudo})
			if res.Allowed != tc.allowed {
				t.Errorf("Allowed = %v, want %v (reason: %s)", res.Allowed, tc.allowed, res.Reason)
			}
			if !slices.Equal(res.Capabilities, tc.caps) {
				t.Errorf("Capabilities = %v, want %v (pattern %q)", res.Capabilities, tc.caps, res.Pattern)
			}
			if res.Reason == "" {
				t.Errorf("empty Reason")
			}
			if res.RootPrivs != slices.Contains(tc.caps, CapSudo) {
				t.Errorf("RootPrivs = %v with capabilities %v", res.RootPrivs, tc.caps)
			}
		})
	}
}
