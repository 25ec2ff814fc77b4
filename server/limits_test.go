package server

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestLimitsDefaults(t *testing.T) {
	l := Limits{}.withDefaults()
	if l.ReadHeaderTimeout != 10*time.Second || l.ReadTimeout != 30*time.Second || l.IdleTimeout != 5*time.Minute || l.WriteTimeout > 0 {
		t.Fatalf("default timeouts: %+v", l)
	}
	if l.MaxJSONDepth != 300 || l.MaxJSONStringValueLength != 1<<20 || l.MaxJSONObjectEntryCount != 10_000 || l.MaxJSONArrayElementCount != 10_000 {
		t.Fatalf("default JSON limits: %+v", l)
	}
	if off := (Limits{ReadHeaderTimeout: -1}).withDefaults(); off.ReadHeaderTimeout != 0 {
		t.Fatalf("-1 should turn the timeout off: %+v", off)
	}
}

func TestJSONScanner(t *testing.T) {
	lim := Limits{MaxJSONDepth: 3, MaxJSONStringValueLength: 5, MaxJSONObjectEntryCount: 2, MaxJSONArrayElementCount: 3}
	cases := []struct {
		body, limit string // limit "" means the body passes
	}{
		{`{"a":{"b":{"c":1}}}`, ""},
		{`{"a":{"b":{"c":{}}}}`, "max_json_depth"},
		{`[[[[]]]]`, "max_json_depth"},
		{`{"a":"12345"}`, ""},
		{`{"a":"123456"}`, "max_json_string_value_length"},
		{`{"abcdef":1}`, "max_json_string_value_length"},
		{`{"a":"\"{["}`, ""}, // escaped quotes and brackets inside a string
		{`{"a":1,"b":2}`, ""},
		{`{"a":1,"b":2,"c":3}`, "max_json_object_entry_count"},
		{`{"a":[1,2,3]}`, ""},
		{`{"a":[1,2,3,4]}`, "max_json_array_element_count"},
		{`{"a":[],"b":{}}`, ""},
		{`{ "a" : [ 1 , 2 ] , "b" : "x" }`, ""},
	}
	for _, tc := range cases {
		dec := json.NewDecoder(newJSONScanner(strings.NewReader(tc.body), lim.withDefaults()))
		var v any
		err := dec.Decode(&v)
		var le *jsonLimitError
		switch {
		case tc.limit == "" && err != nil:
			t.Errorf("%s: %v", tc.body, err)
		case tc.limit != "" && (!errors.As(err, &le) || le.name != tc.limit):
			t.Errorf("%s: %v, want %s", tc.body, err, tc.limit)
		}
	}
	// The read fails fast: the reader is not drained past the violation.
	r := &countingReader{r: strings.NewReader(strings.Repeat("[", 1<<20))}
	_, _ = io.Copy(io.Discard, newJSONScanner(r, Limits{}.withDefaults()))
	if r.n >= 1<<20 {
		t.Fatalf("read all %d bytes of a too-deep body", r.n)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	if len(p) > 4096 {
		p = p[:4096]
	}
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
