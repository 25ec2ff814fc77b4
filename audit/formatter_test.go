package audit

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

var (
	testSalt  = []byte("test-salt-0123456789")
	testTime  = time.Date(2025, 3, 4, 5, 6, 7, 890123456, time.FixedZone("X", 3600))
	issueTime = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
)

const (
	callerToken    = "hvs.callerTokenValue"
	callerAccessor = "callerAccessorValue"
	secretValue    = "pa55w0rd-very-secret"
)

func testInput() *LogInput {
	return &LogInput{
		Time: testTime,
		Auth: &logical.Auth{
			ClientToken:   callerToken,
			Accessor:      callerAccessor,
			DisplayName:   "token-app",
			Policies:      []string{"default", "app"},
			TokenPolicies: []string{"default", "app"},
			Metadata:      map[string]string{"team": "payments"},
			EntityID:      "entity-1",
			TokenType:     logical.TokenTypeService,
			TTL:           time.Hour,
			IssueTime:     issueTime,
		},
		Request: &logical.Request{
			ID:                  "req-1",
			Operation:           logical.UpdateOperation,
			Path:                "secret/data/my-api",
			Data:                map[string]any{"data": map[string]any{"password": secretValue, "port": json.Number("5432")}},
			ClientToken:         callerToken,
			ClientTokenAccessor: callerAccessor,
			MountPoint:          "secret/",
			MountType:           "kv",
			MountAccessor:       "kv_1a2b3c4d",
			RemoteAddr:          "10.0.0.7",
			RemotePort:          51234,
			WrapTTL:             90 * time.Second,
			Headers:             http.Header{"X-Request-Id": {"abc"}, "User-Agent": {"curl/8"}, "Cookie": {"c=1"}},
		},
		Response: &logical.Response{
			Data: map[string]any{
				"data":     map[string]any{"password": secretValue, "port": json.Number("5432")},
				"metadata": map[string]any{"version": json.Number("3"), "destroyed": false},
			},
			Auth: &logical.Auth{
				ClientToken: "hvs.newTokenValue", Accessor: "newAccessorValue", Policies: []string{"app"},
				TokenPolicies: []string{"app"}, TokenType: logical.TokenTypeService, TTL: 30 * time.Minute,
				NumUses: 5, IssueTime: issueTime, DisplayName: "kubernetes-app",
			},
			Secret:   &logical.Secret{LeaseID: "secret/creds/abc"},
			Warnings: []string{"careful"},
			Redirect: "https://elsewhere/",
		},
		OuterErr:       errors.New("1 error occurred"),
		AuditedHeaders: map[string]bool{"x-request-id": false, "user-agent": true},
		PolicyResults:  &PolicyResults{Allowed: true, GrantingPolicies: []PolicyInfo{{Name: "app", Type: "acl"}}},
		WrapInfo: &WrapInfo{
			Token: "hvs.wrapToken", Accessor: "wrapAccessor", TTL: 5 * time.Minute,
			CreationTime: issueTime, CreationPath: "secret/data/my-api", WrappedAccessor: "wrappedAccessor",
		},
	}
}

func newTestFormatter(t testing.TB, opts map[string]string) *Formatter {
	t.Helper()
	o, err := ParseFormatOptions(opts)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFormatter(testSalt, o, func() time.Time { return testTime })
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func decodeLine(t *testing.T, line []byte) *Entry {
	t.Helper()
	if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("entry is not exactly one line: %q", line)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var e Entry
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("entry does not decode: %v\n%s", err, line)
	}
	return &e
}

func h(s string) string { return refHMAC(testSalt, s) }

func wantCallerAuth() *EntryAuth {
	return &EntryAuth{
		ClientToken: h(callerToken), Accessor: h(callerAccessor), DisplayName: "token-app",
		Policies: []string{"default", "app"}, TokenPolicies: []string{"default", "app"},
		PolicyResults: &EntryPolicyResult{Allowed: true, GrantingPolicies: []EntryPolicyInfo{{Name: "app", NamespaceID: "root", Type: "acl"}}},
		Metadata:      map[string]string{"team": "payments"}, EntityID: "entity-1",
		TokenType: "service", TokenTTL: 3600, TokenIssueTime: "2025-03-01T00:00:00Z",
	}
}

func wantRequest() *EntryRequest {
	return &EntryRequest{
		ID: "req-1", Operation: "update", MountPoint: "secret/", MountType: "kv", MountAccessor: "kv_1a2b3c4d",
		ClientToken: h(callerToken), ClientTokenAccessor: h(callerAccessor),
		Namespace: &EntryNamespace{ID: "root"}, Path: "secret/data/my-api",
		Data:       map[string]any{"data": map[string]any{"password": h(secretValue), "port": h("5432")}},
		RemoteAddr: "10.0.0.7", RemotePort: 51234, WrapTTL: 90,
		Headers: map[string][]string{"x-request-id": {"abc"}, "user-agent": {h("curl/8")}},
	}
}

func TestRequestEntrySchema(t *testing.T) {
	f := newTestFormatter(t, nil)
	line, err := f.FormatRequest(testInput())
	if err != nil {
		t.Fatal(err)
	}
	got := decodeLine(t, line)
	want := &Entry{
		Time:    "2025-03-04T04:06:07.890123456Z",
		Type:    "request",
		Auth:    wantCallerAuth(),
		Request: wantRequest(),
		Error:   "1 error occurred",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("request entry:\n got %s\nwant %s", js(got), js(want))
	}
	// The raw line spells Vault's field names.
	for _, key := range []string{`"remote_address":"10.0.0.7"`, `"namespace":{"id":"root"}`, `"client_token_accessor":`, `"token_issue_time":`} {
		if !bytes.Contains(line, []byte(key)) {
			t.Errorf("line lacks %s", key)
		}
	}
}

func TestResponseEntrySchema(t *testing.T) {
	f := newTestFormatter(t, nil)
	line, err := f.FormatResponse(testInput())
	if err != nil {
		t.Fatal(err)
	}
	got := decodeLine(t, line)
	want := &Entry{
		Time:    "2025-03-04T04:06:07.890123456Z",
		Type:    "response",
		Auth:    wantCallerAuth(),
		Request: wantRequest(),
		Response: &EntryResponse{
			MountPoint: "secret/", MountType: "kv", MountAccessor: "kv_1a2b3c4d",
			Auth: &EntryAuth{
				ClientToken: h("hvs.newTokenValue"), Accessor: h("newAccessorValue"), DisplayName: "kubernetes-app",
				Policies: []string{"app"}, TokenPolicies: []string{"app"}, NumUses: 5, TokenType: "service",
				TokenTTL: 1800, TokenIssueTime: "2025-03-01T00:00:00Z",
			},
			Secret: &EntrySecret{LeaseID: "secret/creds/abc"},
			Data: map[string]any{
				"data":     map[string]any{"password": h(secretValue), "port": h("5432")},
				"metadata": map[string]any{"version": h("3"), "destroyed": h("false")},
			},
			Warnings: []string{"careful"},
			Redirect: "https://elsewhere/",
			WrapInfo: &EntryWrapInfo{
				Accessor: h("wrapAccessor"), CreationPath: "secret/data/my-api", CreationTime: "2025-03-01T00:00:00Z",
				Token: h("hvs.wrapToken"), TTL: 300, WrappedAccessor: h("wrappedAccessor"),
			},
		},
		Error: "1 error occurred",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("response entry:\n got %s\nwant %s", js(got), js(want))
	}
}

func TestEntryWithoutAuthOrResponse(t *testing.T) {
	f := newTestFormatter(t, nil)
	in := &LogInput{Request: &logical.Request{ID: "r", Operation: logical.UpdateOperation, Path: "auth/kubernetes/login"}}
	line, err := f.FormatResponse(in)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeLine(t, line)
	if got.Time != "2025-03-04T04:06:07.890123456Z" {
		t.Errorf("time from the clock: %q", got.Time)
	}
	if !reflect.DeepEqual(got.Auth, &EntryAuth{TokenType: "default"}) {
		t.Errorf("auth = %s, want Vault's {\"token_type\":\"default\"}", js(got.Auth))
	}
	if got.Response == nil || got.Response.Data != nil || got.Error != "" {
		t.Errorf("response = %s", js(got.Response))
	}
	if _, err := f.FormatRequest(&LogInput{}); err == nil {
		t.Error("an entry without a request was formatted")
	}
	if _, err := f.FormatRequest(nil); err == nil {
		t.Error("a nil input was formatted")
	}
}

func TestFormatterDoesNotModifyInput(t *testing.T) {
	f := newTestFormatter(t, map[string]string{"elide_list_responses": "true"})
	in := testInput()
	in.Request.Operation = logical.ListOperation
	in.Response.Data["keys"] = []string{"a", "b"}
	before := deepCopyJSON(t, in)
	if _, err := f.FormatRequest(in); err != nil {
		t.Fatal(err)
	}
	if _, err := f.FormatResponse(in); err != nil {
		t.Fatal(err)
	}
	if after := deepCopyJSON(t, in); after != before {
		t.Fatalf("input modified:\nbefore %s\nafter  %s", before, after)
	}
	if in.Auth.ClientToken != callerToken || in.Request.Data["data"].(map[string]any)["password"] != secretValue {
		t.Fatal("caller's values replaced")
	}
}

func TestLogRaw(t *testing.T) {
	f := newTestFormatter(t, map[string]string{"log_raw": "true"})
	line, err := f.FormatResponse(testInput())
	if err != nil {
		t.Fatal(err)
	}
	got := decodeLine(t, line)
	if bytes.Contains(line, []byte(HMACPrefix)) {
		t.Fatalf("raw entry holds an HMAC: %s", line)
	}
	if got.Auth.ClientToken != callerToken || got.Request.ClientTokenAccessor != callerAccessor ||
		got.Response.Auth.ClientToken != "hvs.newTokenValue" || got.Response.WrapInfo.Token != "hvs.wrapToken" ||
		got.Request.Headers["user-agent"][0] != "curl/8" {
		t.Fatalf("raw tokens not in plain text: %s", line)
	}
	if pw := got.Response.Data["data"].(map[string]any)["password"]; pw != secretValue {
		t.Fatalf("raw secret = %v", pw)
	}
	// sys/audit-hash still answers with the HMAC.
	if f.Hash(secretValue) != h(secretValue) {
		t.Fatal("Hash on a raw formatter does not HMAC")
	}
}

func TestHMACAccessorFalse(t *testing.T) {
	f := newTestFormatter(t, map[string]string{"hmac_accessor": "false"})
	line, err := f.FormatResponse(testInput())
	if err != nil {
		t.Fatal(err)
	}
	got := decodeLine(t, line)
	if got.Auth.Accessor != callerAccessor || got.Request.ClientTokenAccessor != callerAccessor ||
		got.Response.Auth.Accessor != "newAccessorValue" || got.Response.WrapInfo.Accessor != "wrapAccessor" ||
		got.Response.WrapInfo.WrappedAccessor != "wrappedAccessor" {
		t.Fatalf("accessors HMAC'd despite hmac_accessor=false: %s", line)
	}
	if got.Auth.ClientToken != h(callerToken) || got.Response.Auth.ClientToken != h("hvs.newTokenValue") {
		t.Fatal("tokens must stay HMAC'd")
	}
	if pw := got.Response.Data["data"].(map[string]any)["password"]; pw != h(secretValue) {
		t.Fatalf("data must stay HMAC'd: %v", pw)
	}
}

func TestNonHMACKeys(t *testing.T) {
	f := newTestFormatter(t, nil)
	in := testInput()
	in.Request.Data = map[string]any{"username": "app", "password": secretValue, "list": []any{"x"}}
	in.Response.Data = map[string]any{"username": "app", "password": secretValue, "list": []any{"x"}}
	in.NonHMACReqDataKeys = []string{"username", "list"}
	in.NonHMACRespDataKeys = []string{"list"}
	line, err := f.FormatResponse(in)
	if err != nil {
		t.Fatal(err)
	}
	got := decodeLine(t, line)
	wantReq := map[string]any{"username": "app", "password": h(secretValue), "list": []any{"x"}}
	wantResp := map[string]any{"username": h("app"), "password": h(secretValue), "list": []any{"x"}}
	if !reflect.DeepEqual(got.Request.Data, wantReq) {
		t.Errorf("request data %v, want %v", got.Request.Data, wantReq)
	}
	if !reflect.DeepEqual(got.Response.Data, wantResp) {
		t.Errorf("response data %v, want %v", got.Response.Data, wantResp)
	}
}

func TestElideListResponses(t *testing.T) {
	keys := []string{"a", "b", "c"}
	in := testInput()
	in.Request.Operation = logical.ListOperation
	in.Response.Data = map[string]any{"keys": keys, "key_info": map[string]any{"a": map[string]any{"x": "y"}}}
	for _, tc := range []struct {
		opts      map[string]string
		op        logical.Operation
		wantElide bool
	}{
		{map[string]string{"elide_list_responses": "true"}, logical.ListOperation, true},
		{map[string]string{"elide_list_responses": "true", "log_raw": "true"}, logical.ListOperation, true},
		{map[string]string{"elide_list_responses": "true"}, logical.ReadOperation, false},
		{nil, logical.ListOperation, false},
	} {
		in.Request.Operation = tc.op
		line, err := newTestFormatter(t, tc.opts).FormatResponse(in)
		if err != nil {
			t.Fatal(err)
		}
		got := decodeLine(t, line).Response.Data
		if tc.wantElide {
			if got["keys"] != json.Number("3") || got["key_info"] != json.Number("1") {
				t.Errorf("%v %s: not elided: %v", tc.opts, tc.op, got)
			}
			continue
		}
		if _, ok := got["keys"].([]any); !ok {
			t.Errorf("%v %s: elided: %v", tc.opts, tc.op, got)
		}
	}
}

func TestPrefix(t *testing.T) {
	for _, format := range []string{"json", "jsonx"} {
		f := newTestFormatter(t, map[string]string{"prefix": "@cee: ", "format": format})
		line, err := f.FormatRequest(testInput())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(line, []byte("@cee: ")) {
			t.Fatalf("%s: no prefix: %q", format, line)
		}
		if format == "json" {
			decodeLine(t, bytes.TrimPrefix(line, []byte("@cee: ")))
		}
	}
}

func TestJSONX(t *testing.T) {
	f := newTestFormatter(t, map[string]string{"format": "jsonx"})
	in := testInput()
	in.Request.Data = map[string]any{"note": "a<b&c", "n": json.Number("1.5"), "ok": true, "nil": nil}
	// Exempt, so that the plain number and boolean forms are shown.
	in.NonHMACReqDataKeys = []string{"note", "n", "ok"}
	line, err := f.FormatRequest(in)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("not one line: %q", line)
	}
	s := string(line)
	// Members sorted by name, Vault's element names, no enclosing object.
	if !strings.HasPrefix(s, `<json:object name="auth"><json:string name="accessor">`+h(callerAccessor)+`</json:string>`) {
		t.Fatalf("unexpected start: %.200s", s)
	}
	for _, frag := range []string{
		`<json:string name="error">1 error occurred</json:string>`,
		`<json:number name="token_ttl">3600</json:number>`,
		`<json:object name="namespace"><json:string name="id">root</json:string></json:object>`,
		`<json:string name="note">a&lt;b&amp;c</json:string>`,
		`<json:number name="n">1.5</json:number>`,
		`<json:boolean name="ok">true</json:boolean>`,
		`<json:null name="nil" />`,
		`<json:array name="policies"><json:string>default</json:string><json:string>app</json:string></json:array>`,
		`<json:string name="type">request</json:string>`,
	} {
		if !strings.Contains(s, frag) {
			t.Errorf("jsonx lacks %s", frag)
		}
	}
	// Wrapped in an element declaring the namespace, the entry is
	// well-formed XML, and it round-trips to the same JSON object.
	doc := `<json:object xmlns:json="` + JSONXNamespace + `">` + strings.TrimSuffix(s, "\n") + `</json:object>`
	var node jsonxNode
	if err := xml.Unmarshal([]byte(doc), &node); err != nil {
		t.Fatalf("jsonx is not well-formed: %v", err)
	}
	fromXML := node.value(t)
	e, err := f.RequestEntry(in)
	if err != nil {
		t.Fatal(err)
	}
	jsonLine, _ := json.Marshal(e)
	dec := json.NewDecoder(bytes.NewReader(jsonLine))
	dec.UseNumber()
	var fromJSON any
	if err := dec.Decode(&fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromXML, fromJSON) {
		t.Fatalf("jsonx does not round-trip:\n xml  %v\n json %v", fromXML, fromJSON)
	}
}

// jsonxNode decodes JSONx back into JSON values, to check the encoder.
type jsonxNode struct {
	XMLName  xml.Name
	Name     string      `xml:"name,attr"`
	Text     string      `xml:",chardata"`
	Children []jsonxNode `xml:",any"`
}

func (n jsonxNode) value(t *testing.T) any {
	switch n.XMLName.Local {
	case "object":
		m := map[string]any{}
		for _, c := range n.Children {
			m[c.Name] = c.value(t)
		}
		return m
	case "array":
		a := []any{}
		for _, c := range n.Children {
			a = append(a, c.value(t))
		}
		return a
	case "string":
		return n.Text
	case "number":
		return json.Number(n.Text)
	case "boolean":
		return n.Text == "true"
	case "null":
		return nil
	}
	t.Fatalf("unknown jsonx element %q", n.XMLName.Local)
	return nil
}

func TestNewFormatterRejects(t *testing.T) {
	if _, err := NewFormatter(nil, DefaultFormatOptions(), nil); err == nil {
		t.Fatal("empty salt accepted")
	}
	_, err := NewFormatter(testSalt, FormatOptions{Format: "yaml"}, nil)
	if logical.StatusOf(err) != http.StatusBadRequest {
		t.Fatalf("bad format: %v", err)
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestNewlinesStayInsideTheLine(t *testing.T) {
	for _, format := range []string{"json", "jsonx"} {
		f := newTestFormatter(t, map[string]string{"log_raw": "true", "format": format})
		in := testInput()
		in.Request.Data = map[string]any{"pem": "-----BEGIN-----\nabc\r\n-----END-----\n"}
		in.OuterErr = errors.New("two\nlines")
		line, err := f.FormatRequest(in)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Count(line, []byte("\n")) != 1 || bytes.ContainsRune(line, '\r') {
			t.Fatalf("%s: entry spans lines: %q", format, line)
		}
	}
}
