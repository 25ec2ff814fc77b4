package audit

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// corpusCase is one request of the encoder corpus, written by a formatter
// with the given device options.
type corpusCase struct {
	name string
	opts map[string]string
	in   func() *LogInput
}

// point is a struct value in request data: the hasher has no case for it
// and goes through its JSON form.
type point struct {
	X int    `json:"x"`
	Y string `json:"y,omitempty"`
}

// label is a named string type in request data.
type label string

// encoderCorpus covers every branch of entry building and encoding: each
// option, every value type the hasher knows and some it does not, strings
// that JSON must escape, and the shapes real requests have (KV reads and
// writes, lists, logins, refusals).
func encoderCorpus() []corpusCase {
	kvRead := func() *LogInput {
		in := testInput()
		in.Request.Operation = logical.ReadOperation
		in.Request.Data, in.Request.Headers, in.Request.WrapTTL = nil, nil, 0
		in.OuterErr, in.WrapInfo, in.PolicyResults, in.AuditedHeaders = nil, nil, nil, nil
		in.Response = &logical.Response{Data: map[string]any{
			"data": map[string]any{"username": "app", "password": secretValue},
			"metadata": map[string]any{
				"created_time": "2025-03-01T10:00:00.123456Z", "custom_metadata": nil, "deletion_time": "",
				"destroyed": false, "version": json.Number("1"),
			},
		}}
		return in
	}
	list := func() *LogInput {
		in := kvRead()
		in.Request.Operation = logical.ListOperation
		in.Request.Path = "secret/metadata/"
		in.Response = &logical.Response{Data: map[string]any{
			"keys":     []string{"a", "b/", "c"},
			"key_info": map[string]any{"a": map[string]any{"n": 1}},
		}}
		return in
	}
	listAny := func() *LogInput {
		in := list()
		in.Response.Data["keys"] = []any{"x", "y"}
		return in
	}
	odd := func() *LogInput {
		in := testInput()
		in.Request.Path = "secret/data/<a>&\"b\"\\c\u2028\u2029"
		in.Request.Data = map[string]any{
			"html":     "<script>alert('x') & \"y\"</script>",
			"ctl":      "a\x00b\x01c\x1f\b\f\n\r\t\x7f",
			"badutf8":  "ok\xffno\xc3",
			"unicode":  "héllo 世界 \U0001F600",
			"sep":      "line\u2028para\u2029",
			"empty":    "",
			"k\"ey<>":  "v",
			"":         "empty key",
			"nested":   map[string]any{"deep": map[string]any{"deeper": []any{"s", 1, 2.5, true, nil, map[string]any{"z": "q"}}}},
			"ints":     map[string]any{"i": 7, "i8": int8(-8), "i16": int16(16), "i32": int32(-32), "i64": int64(1 << 40), "u": uint(3), "u8": uint8(8), "u16": uint16(16), "u32": uint32(32), "u64": uint64(1 << 63)},
			"floats":   map[string]any{"f": 3.25, "big": 1e21, "small": 1e-7, "neg": -0.5, "f32": float32(1.1), "whole": 2.0},
			"num":      json.Number("4111111111111111"),
			"numf":     json.Number("-1.5e3"),
			"bools":    []any{true, false},
			"strs":     []string{"p", "q"},
			"smap":     map[string]string{"a": "1", "b": "2"},
			"maps":     []map[string]any{{"a": "1"}, {"b": 2}},
			"when":     time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC),
			"raw":      []byte("bytes\x00here"),
			"struct":   point{X: 1, Y: "two"},
			"structp":  &point{X: 3},
			"typed":    []int{1, 2, 3},
			"named":    label("a name"),
			"typedmap": map[string]int{"one": 1},
			"nilval":   nil,
			"emptymap": map[string]any{},
			"emptylst": []any{},
		}
		in.Response.Data = map[string]any{"echo": in.Request.Data, "n": 5}
		in.Response.Warnings = []string{"<warn>", "two"}
		in.OuterErr = errors.New("bad \"thing\" <here>\n")
		return in
	}
	login := func() *LogInput {
		in := testInput()
		in.Auth = nil
		in.Request.ClientToken, in.Request.ClientTokenAccessor = "", ""
		in.Request.Operation = logical.UpdateOperation
		in.Request.Path = "auth/jwt/login"
		in.Request.MountPoint, in.Request.MountType, in.Request.MountAccessor = "auth/jwt/", "jwt", "auth_jwt_1"
		in.Request.Data = map[string]any{"role": "app", "jwt": "eyJhbGciOi.eyJzdWIiOi.sig"}
		in.PolicyResults, in.WrapInfo, in.OuterErr, in.AuditedHeaders = nil, nil, nil, nil
		in.Response = &logical.Response{Auth: &logical.Auth{
			ClientToken: "hvs.minted", Accessor: "mintedAccessor", DisplayName: "jwt-app",
			Policies: []string{"default", "app"}, TokenPolicies: []string{"app"},
			Metadata: map[string]string{"role": "app", "sub": "client-1"}, EntityID: "e-1",
			TokenType: logical.TokenTypeBatch, TTL: 90 * time.Second, IssueTime: issueTime,
		}}
		return in
	}
	refused := func() *LogInput {
		in := kvRead()
		in.Auth = nil
		in.Request.ClientToken = "hvs.bogus"
		in.Request.ClientTokenAccessor = ""
		in.Response = nil
		in.OuterErr = logical.ErrPermissionDenied
		return in
	}
	minimal := func() *LogInput {
		return &LogInput{Time: testTime, Request: &logical.Request{Operation: logical.ReadOperation, Path: "sys/health"}}
	}
	emptyResp := func() *LogInput {
		in := testInput()
		in.Response = &logical.Response{}
		return in
	}
	exempt := func() *LogInput {
		in := odd()
		in.NonHMACReqDataKeys = []string{"html", "num", "bools", "strs", "a", "i", "f", "deeper", "raw", "struct", "x", "typed", "named"}
		in.NonHMACRespDataKeys = []string{"n", "echo", "ints", "u64", "smap"}
		return in
	}
	var out []corpusCase
	shapes := []struct {
		name string
		in   func() *LogInput
	}{
		{"full", testInput}, {"kvread", kvRead}, {"list", list}, {"listany", listAny}, {"odd", odd},
		{"login", login}, {"refused", refused}, {"minimal", minimal}, {"emptyresp", emptyResp}, {"exempt", exempt},
	}
	optionSets := []struct {
		name string
		opts map[string]string
	}{
		{"default", nil},
		{"raw", map[string]string{OptionLogRaw: "true"}},
		{"noaccessorhmac", map[string]string{OptionHMACAccessor: "false"}},
		{"elide", map[string]string{OptionElideListResponses: "true"}},
		{"prefix", map[string]string{OptionPrefix: "@cee: "}},
		{"jsonx", map[string]string{OptionFormat: string(FormatJSONX)}},
		{"jsonxraw", map[string]string{OptionFormat: string(FormatJSONX), OptionLogRaw: "true"}},
	}
	for _, o := range optionSets {
		for _, s := range shapes {
			out = append(out, corpusCase{name: o.name + "-" + s.name, opts: o.opts, in: s.in})
		}
	}
	// A header that is audited in plain text and one that is HMAC'd, one
	// with two values. (Two spellings of one header would merge in map
	// order; net/http canonicalises names, so requests never carry both.)
	out = append(out, corpusCase{name: "headers", in: func() *LogInput {
		in := testInput()
		in.Request.Headers = http.Header{"X-Request-Id": {"abc", "def"}, "Authorization": {"Bearer x"}}
		in.AuditedHeaders = map[string]bool{"x-request-id": true, "authorization": false}
		return in
	}})
	return out
}
