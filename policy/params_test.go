package policy

import (
	"encoding/json"
	"testing"
)

func TestScalarMatch(t *testing.T) {
	cases := []struct {
		name string
		el   any
		v    any
		want bool
	}{
		{"string_exact", "a", "a", true},
		{"string_differs", "a", "b", false},
		{"glob_prefix", "ab*", "abc", true},
		{"glob_suffix", "*bc", "abc", true},
		{"glob_contains", "*b*", "abc", true},
		{"lone_star_literal", "*", "abc", false},
		{"lone_star_itself", "*", "*", true},
		{"string_vs_json_number", "60", json.Number("60"), true},
		{"string_vs_float", "1.5", 1.5, true},
		{"string_vs_int", "7", 7, true},
		{"string_vs_bool", "true", true, true},
		{"string_vs_nil", "", nil, false},
		{"string_vs_object", "x", map[string]any{"x": "x"}, false},
		{"int_vs_json_number", int64(60), json.Number("60"), true},
		{"int_vs_float", int64(60), 60.0, true},
		{"int_vs_fraction", int64(60), 60.5, false},
		{"int_vs_string", int64(60), " 60 ", true},
		{"int_vs_bad_string", int64(60), "sixty", false},
		{"int_vs_float_string", int64(60), "6e1", true},
		{"int_vs_uint64", int64(5), uint64(5), true},
		{"int_vs_huge_uint64", int64(5), uint64(1 << 63), false},
		{"int_vs_int32", int64(5), int32(5), true},
		{"int_vs_float32", int64(2), float32(2), true},
		{"large_int_exact", int64(9007199254740993), json.Number("9007199254740993"), true},
		{"large_int_off_by_one", int64(9007199254740993), json.Number("9007199254740992"), false},
		{"float_vs_json_number", 2.5, json.Number("2.5"), true},
		{"float_vs_nan_string", 2.5, "NaN", false},
		{"number_vs_bool", int64(1), true, false},
		{"bool_vs_bool", true, true, true},
		{"bool_vs_other_bool", true, false, false},
		{"bool_vs_string", false, "false", true},
		{"bool_vs_bad_string", false, "nope", false},
		{"bool_vs_number", true, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := scalarMatch(tc.el, tc.v); got != tc.want {
				t.Errorf("scalarMatch(%#v, %#v) = %v, want %v", tc.el, tc.v, got, tc.want)
			}
		})
	}
}

func TestParameterListValues(t *testing.T) {
	list := []any{"a", "b"}
	if !allowedValue([]string{"a", "b"}, list) || allowedValue([]string{"a", "c"}, list) {
		t.Error("[]string values not checked element by element")
	}
	if allowedValue([]any{}, list) || allowedValue("", list) {
		t.Error("an empty list or string passed an allowed list it is not in")
	}
	if !allowedValue("", []any{""}) {
		t.Error("an empty string listed as allowed was refused")
	}
	if !deniedValue(nil, []any{}) {
		t.Error("an empty denied list does not deny every value")
	}
	if deniedValue(map[string]any{"a": "b"}, []any{"a"}) {
		t.Error("an object matched a denied string")
	}
}
