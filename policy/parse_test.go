package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseHCL(t *testing.T) {
	text := `
# comments are fine
name = "ignored"
path "secret/data/*" {
  comment      = "app secrets"
  capabilities = ["read", "list", "read"]
  allowed_parameters = {
    "Version" = ["1", 2, true]
    "*"       = []
  }
  denied_parameters {
    admin = []
  }
  required_parameters = ["Reason", "reason"]
  min_wrapping_ttl    = "1m"
  max_wrapping_ttl    = 3600
}

path "/legacy/*" {
  policy = "write"
}
`
	p, err := Parse("  MyPolicy ", text)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "mypolicy" {
		t.Errorf("Name = %q, want lower-cased, trimmed mypolicy", p.Name)
	}
	if p.Raw() != text {
		t.Errorf("Raw() does not keep the original text")
	}
	if len(p.Rules) != 2 {
		t.Fatalf("got %d rules, want 2", len(p.Rules))
	}
	want := &Rule{
		Pattern:            "secret/data/*",
		Line:               4,
		Capabilities:       []string{"list", "read"},
		AllowedParameters:  map[string][]any{"version": {"1", int64(2), true}, "*": {}},
		DeniedParameters:   map[string][]any{"admin": {}},
		RequiredParameters: []string{"reason"},
		MinWrappingTTL:     time.Minute,
		MaxWrappingTTL:     time.Hour,
	}
	if !reflect.DeepEqual(p.Rules[0], want) {
		t.Errorf("rule 0 =\n%#v\nwant\n%#v", p.Rules[0], want)
	}
	legacy := p.Rules[1]
	if legacy.Pattern != "legacy/*" || legacy.Line != 19 {
		t.Errorf("rule 1 pattern %q line %d, want legacy/* at 19", legacy.Pattern, legacy.Line)
	}
	if got := strings.Join(legacy.Capabilities, ","); got != "create,delete,list,read,update" {
		t.Errorf("legacy write = %s", got)
	}
}

// TestParseJSONMatchesHCL checks that the JSON form means the same as the
// HCL form, including the JSON parser's flattening of object-only bodies.
func TestParseJSONMatchesHCL(t *testing.T) {
	hclText := `
path "secret/+/config" {
  capabilities = ["read", "update"]
  allowed_parameters = { "role" = ["a*"] }
}
path "sys/audit/*" { capabilities = ["sudo", "update"] }
path "secret/private/*" { policy = "deny" }
`
	jsonText := `{
  "path": {
    "secret/+/config": {
      "capabilities": ["read", "update"],
      "allowed_parameters": {"role": ["a*"]}
    },
    "sys/audit/*": {"capabilities": ["sudo", "update"]},
    "secret/private/*": {"policy": "deny"}
  }
}`
	hp, err := Parse("h", hclText)
	if err != nil {
		t.Fatal(err)
	}
	jp, err := Parse("j", jsonText)
	if err != nil {
		t.Fatal(err)
	}
	strip := func(rs []*Rule) []Rule {
		var out []Rule
		for _, r := range rs {
			c := *r
			c.Line = 0
			out = append(out, c)
		}
		return out
	}
	if !reflect.DeepEqual(strip(hp.Rules), strip(jp.Rules)) {
		t.Errorf("JSON rules differ from HCL:\n%#v\n%#v", strip(jp.Rules), strip(hp.Rules))
	}

	// A body holding only objects is flattened by the JSON parser; it must
	// still mean one rule's parameters (split rules with one pattern merge).
	flat := `{"path": {"p": {"allowed_parameters": {"a": ["x"]}, "denied_parameters": {"b": []}}}}`
	fp, err := Parse("f", flat)
	if err != nil {
		t.Fatal(err)
	}
	acl, err := NewACL([]*Policy{fp, mustParse(t, `path "p" { capabilities = ["update"] }`)})
	if err != nil {
		t.Fatal(err)
	}
	if r := acl.Allowed(Request{Path: "p", Operation: "update", Data: map[string]any{"a": "x"}}); !r.Allowed {
		t.Errorf("flattened allowed_parameters: %s", r.Reason)
	}
	if r := acl.Allowed(Request{Path: "p", Operation: "update", Data: map[string]any{"a": "y"}}); r.Allowed {
		t.Errorf("flattened allowed_parameters not enforced")
	}
	if r := acl.Allowed(Request{Path: "p", Operation: "update", Data: map[string]any{"b": "x"}}); r.Allowed {
		t.Errorf("flattened denied_parameters not enforced")
	}
}

func mustParse(t testing.TB, text string) *Policy {
	t.Helper()
	p, err := Parse("t", text)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		text string
		line int
		want string
	}{
		{"syntax_error_unclosed_list", "path \"a\" {\n  capabilities = [\"read\"\n}\n", 3, "expected comma or list end"},
		{"syntax_error_unclosed_block", "path \"a\" {\n  capabilities = [\"read\"]\n", 3, "expected closing RBRACE"},
		{"syntax_error_json", "{\"path\":\n {\"a\": }}", 2, "invalid JSON"},
		{"syntax_error_json_unclosed_list", "{\"path\":\n [}", 2, "invalid JSON"},
		{"syntax_error_json_missing_comma", "{\"path\": {\"a\":\n {\"capabilities\": [\"read\" \"list\"]}}}", 2, "invalid JSON"},
		{"syntax_error_json_trailing_comma", "{\n\"path\": {\"a\": {\"capabilities\": [\"read\",]}}}", 2, "invalid JSON"},
		{"unknown_capability", "path \"a\" {\n  capabilities = [\"read\",\n    \"reed\"]\n}", 3, `invalid capability "reed"`},
		{"capability_wrong_case", `path "a" { capabilities = ["Read"] }`, 1, `invalid capability "Read"`},
		{"root_is_not_a_capability", `path "a" { capabilities = ["root"] }`, 1, `invalid capability "root"`},
		{"unknown_capability_json", "{\"path\": {\"a\": {\n\"capabilities\": [\"bogus\"]}}}", 2, `invalid capability "bogus"`},
		{"unknown_key_in_block", "path \"a\" {\n  capabilities = [\"read\"]\n  capabilites = [\"list\"]\n}", 3, `invalid key "capabilites"`},
		{"unknown_key_json", "{\"path\": {\"a\": {\"capabilities\": [\"read\"],\n \"color\": \"red\"}}}", 2, `invalid key "color"`},
		{"unknown_top_level_key", "\n\npaths \"a\" { capabilities = [\"read\"] }", 3, `invalid key "paths"`},
		{"enterprise_key_refused", "path \"a\" {\n capabilities = [\"read\"]\n mfa_methods = [\"x\"]\n}", 3, "not supported"},
		{"control_group_refused", "path \"a\" {\n control_group = { ttl = \"1h\" }\n}", 2, "not supported"},
		{"legacy_bad_value", "path \"a\" {\n policy = \"admin\"\n}", 2, `invalid policy "admin"`},
		{"plus_star_forbidden", `path "secret/+*" { capabilities = ["read"] }`, 1, "'+*' is forbidden"},
		{"unknown_template_refused", `path "identity/entity/id/{{identity.entity.colour}}" { capabilities = ["read"] }`, 1, "invalid template"},
		{"unbalanced_template_refused", `path "secret/{{identity.entity.id" { capabilities = ["read"] }`, 1, "unbalanced"},
		{"capabilities_not_a_list", "path \"a\" {\n capabilities = \"read\"\n}", 2, "expected a list of strings"},
		{"capability_not_a_string", `path "a" { capabilities = [1] }`, 1, "expected a string"},
		{"parameters_not_an_object", `path "a" { allowed_parameters = ["x"] }`, 1, "must be an object"},
		{"parameter_values_not_a_list", "path \"a\" {\n allowed_parameters = {\n  \"x\" = \"y\"\n }\n}", 3, "values must be a list"},
		{"parameter_value_nested_list", `path "a" { denied_parameters = { "x" = [["y"]] } }`, 1, "expected a string, number or boolean"},
		{"parameter_listed_twice", `path "a" { allowed_parameters = { "x" = [] "X" = ["y"] } }`, 1, "listed more than once"},
		{"required_not_a_list", `path "a" { required_parameters = "x" }`, 1, "expected a list"},
		{"ttl_garbage", "path \"a\" {\n max_wrapping_ttl = \"soon\"\n}", 2, "invalid duration"},
		{"ttl_negative", `path "a" { max_wrapping_ttl = -5 }`, 1, "must not be negative"},
		{"ttl_bool", `path "a" { min_wrapping_ttl = true }`, 1, "boolean"},
		{"ttl_min_above_max", "\npath \"a\" {\n min_wrapping_ttl = \"2h\"\n max_wrapping_ttl = \"1h\"\n}", 2, "max_wrapping_ttl cannot be less than min_wrapping_ttl"},
		{"duplicate_attribute_hcl", "path \"a\" {\n capabilities = [\"read\"]\n capabilities = [\"list\"]\n}", 0, "already set"},
		{"duplicate_attribute_json", `{"path": {"a": {"capabilities": ["read"], "capabilities": ["list"]}}}`, 1, "more than once"},
		{"path_without_pattern", `path = "a"`, 1, "must be a block with a pattern"},
		{"path_two_labels", "path \"a\" \"b\" {\n capabilities = [\"read\"]\n}", 1, `invalid key "b"`},
		{"path_body_not_block", `path "a" = "read"`, 1, "nested object expected"},
		{"name_not_string", `name = ["x"]`, 1, "expected a string"},
		{"not_an_object", `["a"]`, 0, "failed to parse policy"},
		{"nesting_too_deep", "path \"a\" {\n capabilities = " + strings.Repeat("[", 100000) + "\n}", 2, "nest more than"},
		{"nesting_too_deep_json", strings.Repeat("{\"a\":", 1000), 1, "nest more than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("bad", tc.text)
			if err == nil {
				t.Fatalf("Parse accepted %q: %+v", tc.text, p)
			}
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("error %v does not match ErrInvalidPolicy", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if tc.line > 0 {
				if pe.Line != tc.line {
					t.Errorf("Line = %d, want %d (%v)", pe.Line, tc.line, err)
				}
				if !strings.Contains(err.Error(), "line ") {
					t.Errorf("error %q does not name the line", err)
				}
			}
		})
	}
}

func TestParseDuplicateAttributeNamesPosition(t *testing.T) {
	_, err := Parse("x", "path \"a\" {\n capabilities = [\"read\"]\n capabilities = [\"list\"]\n}")
	if err == nil || !strings.Contains(err.Error(), "3:2") {
		t.Fatalf("duplicate attribute error %v does not name line 3", err)
	}
}

func TestParseNames(t *testing.T) {
	for _, name := range []string{"", "   ", "a/b", "/", "team/app"} {
		_, err := Parse(name, `path "a" { capabilities = ["read"] }`)
		if !errors.Is(err, ErrInvalidName) {
			t.Errorf("Parse(%q) error = %v, want ErrInvalidName", name, err)
		}
		if !errors.Is(ValidateName(name), ErrInvalidName) {
			t.Errorf("ValidateName(%q) accepted", name)
		}
	}
	for _, name := range []string{"root", " ROOT "} {
		if _, err := Parse(name, `path "*" { capabilities = ["read"] }`); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Parse(%q) error = %v, want refusal of the built-in root", name, err)
		}
	}
	for _, name := range []string{"default", "App-Readers", "a.b_c"} {
		if err := ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v", name, err)
		}
	}
	if NormalizeName(" App-Readers ") != "app-readers" {
		t.Errorf("NormalizeName does not trim and lower-case")
	}
	if !IsImmutable("Root") || IsImmutable("default") {
		t.Errorf("IsImmutable: only root")
	}
	if !IsUndeletable("root") || !IsUndeletable(" Default") || IsUndeletable("app") {
		t.Errorf("IsUndeletable: only root and default")
	}
}

func TestParseEmptyPolicy(t *testing.T) {
	p, err := Parse("empty", "# nothing here\n")
	if err != nil {
		t.Fatal(err)
	}
	acl, err := NewACL([]*Policy{p})
	if err != nil {
		t.Fatal(err)
	}
	if r := acl.Allowed(Request{Path: "secret/a", Operation: "read"}); r.Allowed {
		t.Errorf("empty policy allowed a read")
	}
}

func TestParseBracketsInsideStringsDoNotCountAsNesting(t *testing.T) {
	deep := strings.Repeat("[{", 80)
	p, err := Parse("s", `path "a" { capabilities = ["read"] allowed_parameters = { "x" = ["`+deep+`", "say \"[[[\""] } }`)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Rules[0].AllowedParameters["x"][0]; got != deep {
		t.Errorf("value = %q", got)
	}
}
