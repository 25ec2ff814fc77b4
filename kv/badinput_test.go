package kv

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// TestV2BadInput sends every kind of malformed request and checks each is
// a 4xx naming the problem, with storage left exactly as it was.
func TestV2BadInput(t *testing.T) {
	tooMany := make([]string, 0, 65)
	for i := range 65 {
		tooMany = append(tooMany, `"k`+strings.Repeat("x", i)+`":"v"`)
	}
	cases := []struct {
		name    string
		op      logical.Operation
		path    string
		body    string
		ctype   string // PATCH content type; default merge patch
		status  int
		message string // substring of the error
	}{
		// data/ bodies
		{"data missing", logical.UpdateOperation, "data/existing", `{"options":{"cas":1}}`, "", 400, "no data provided"},
		{"empty body", logical.UpdateOperation, "data/existing", ``, "", 400, "no data provided"},
		{"data null", logical.UpdateOperation, "data/existing", `{"data":null}`, "", 400, "no data provided"},
		{"data string", logical.UpdateOperation, "data/existing", `{"data":"abc"}`, "", 400, `field "data"`},
		{"data array", logical.UpdateOperation, "data/existing", `{"data":[1,2]}`, "", 400, `field "data"`},
		{"data number", logical.UpdateOperation, "data/new", `{"data":5}`, "", 400, `field "data"`},
		{"options not object", logical.UpdateOperation, "data/existing", `{"data":{"a":1},"options":"cas=1"}`, "", 400, `field "options"`},
		{"cas not a number", logical.UpdateOperation, "data/existing", `{"data":{"a":1},"options":{"cas":"one"}}`, "", 400, "error parsing check-and-set parameter"},
		{"cas fractional", logical.UpdateOperation, "data/existing", `{"data":{"a":1},"options":{"cas":1.5}}`, "", 400, "error parsing check-and-set parameter"},
		{"cas bool", logical.UpdateOperation, "data/existing", `{"data":{"a":1},"options":{"cas":true}}`, "", 400, "error parsing check-and-set parameter"},
		{"cas negative", logical.UpdateOperation, "data/existing", `{"data":{"a":1},"options":{"cas":-1}}`, "", 400, "error parsing check-and-set parameter"},
		{"cas object", logical.UpdateOperation, "data/existing", `{"data":{"a":1},"options":{"cas":{}}}`, "", 400, "error parsing check-and-set parameter"},
		{"patch data missing", logical.PatchOperation, "data/existing", `{"options":{}}`, "", 400, "no data provided"},
		{"patch data string", logical.PatchOperation, "data/existing", `{"data":"x"}`, "", 400, `field "data"`},
		{"patch cas bad", logical.PatchOperation, "data/existing", `{"data":{"a":1},"options":{"cas":"x"}}`, "", 400, "check-and-set"},
		{"patch wrong content type", logical.PatchOperation, "data/existing", `{"data":{"a":1}}`, "application/json", 415, "PATCH requires Content-Type of application/merge-patch+json"},
		{"patch no content type", logical.PatchOperation, "metadata/existing", `{"max_versions":1}`, "-", 415, "merge-patch"},

		// paths
		{"dotdot", logical.UpdateOperation, "data/a/../existing", `{"data":{"a":1}}`, "", 400, `".."`},
		{"leading dotdot", logical.UpdateOperation, "data/../config", `{"data":{"a":1}}`, "", 400, `".."`},
		{"dot", logical.UpdateOperation, "data/./existing", `{"data":{"a":1}}`, "", 400, `"."`},
		{"double slash", logical.UpdateOperation, "data/a//b", `{"data":{"a":1}}`, "", 400, "empty path segment"},
		{"leading slash", logical.UpdateOperation, "data//a", `{"data":{"a":1}}`, "", 400, "empty path segment"},
		{"trailing slash", logical.UpdateOperation, "data/a/", `{"data":{"a":1}}`, "", 400, "empty path segment"},
		{"no path", logical.UpdateOperation, "data/", `{"data":{"a":1}}`, "", 400, "missing path"},
		{"read dotdot", logical.ReadOperation, "data/x/../existing", ``, "", 400, `".."`},
		{"delete dotdot", logical.DeleteOperation, "data/x/../existing", ``, "", 400, `".."`},
		{"metadata dotdot", logical.UpdateOperation, "metadata/../existing", `{"max_versions":1}`, "", 400, `".."`},
		{"metadata delete empty segment", logical.DeleteOperation, "metadata/a//existing", ``, "", 400, "empty path segment"},
		{"list dotdot", logical.ListOperation, "metadata/a/../", ``, "", 400, `".."`},
		{"list empty segment", logical.ListOperation, "metadata//a/", ``, "", 400, "empty path segment"},
		{"destroy dotdot", logical.UpdateOperation, "destroy/../existing", `{"versions":[1]}`, "", 400, `".."`},
		{"subkeys dotdot", logical.ReadOperation, "subkeys/x/../existing", ``, "", 400, `".."`},

		// versions lists
		{"delete no versions", logical.UpdateOperation, "delete/existing", `{}`, "", 400, "No version number provided"},
		{"delete empty versions", logical.UpdateOperation, "delete/existing", `{"versions":[]}`, "", 400, "No version number provided"},
		{"undelete no versions", logical.UpdateOperation, "undelete/existing", `{"versions":null}`, "", 400, "No version number provided"},
		{"destroy no versions", logical.UpdateOperation, "destroy/existing", `{"versions":""}`, "", 400, "no version number provided"},
		{"versions words", logical.UpdateOperation, "destroy/existing", `{"versions":"a,b"}`, "", 400, `field "versions"`},
		{"versions mixed", logical.UpdateOperation, "delete/existing", `{"versions":[1,"x"]}`, "", 400, `field "versions"`},
		{"versions object", logical.UpdateOperation, "undelete/existing", `{"versions":{"1":true}}`, "", 400, `field "versions"`},
		{"versions fractional", logical.UpdateOperation, "destroy/existing", `{"versions":[1.5]}`, "", 400, `field "versions"`},
		{"versions nested list", logical.UpdateOperation, "destroy/existing", `{"versions":[[1]]}`, "", 400, `field "versions"`},
		{"versions bool", logical.UpdateOperation, "delete/existing", `{"versions":true}`, "", 400, `field "versions"`},
		{"versions negative", logical.UpdateOperation, "destroy/existing", `{"versions":[-1]}`, "", 400, "negative"},

		// query parameters
		{"version not a number", logical.ReadOperation, "data/existing", `{"version":"latest"}`, "", 400, `field "version"`},
		{"subkeys version bad", logical.ReadOperation, "subkeys/existing", `{"version":"x"}`, "", 400, `field "version"`},
		{"subkeys depth bad", logical.ReadOperation, "subkeys/existing", `{"depth":"deep"}`, "", 400, `field "depth"`},
		{"subkeys depth negative", logical.ReadOperation, "subkeys/existing", `{"depth":"-1"}`, "", 400, "depth"},

		// metadata fields
		{"max_versions word", logical.UpdateOperation, "metadata/existing", `{"max_versions":"ten"}`, "", 400, `field "max_versions"`},
		{"max_versions negative", logical.UpdateOperation, "metadata/existing", `{"max_versions":-1}`, "", 400, "max_versions"},
		{"max_versions too big", logical.UpdateOperation, "metadata/existing", `{"max_versions":4294967296}`, "", 400, "max_versions"},
		{"cas_required word", logical.UpdateOperation, "metadata/existing", `{"cas_required":"maybe"}`, "", 400, `field "cas_required"`},
		{"dva negative on key", logical.UpdateOperation, "metadata/existing", `{"delete_version_after":"-1s"}`, "", 400, `field "delete_version_after"`},
		{"dva word", logical.UpdateOperation, "metadata/existing", `{"delete_version_after":"forever"}`, "", 400, `field "delete_version_after"`},
		{"dva seconds overflow", logical.UpdateOperation, "metadata/existing", `{"delete_version_after":"18446744074"}`, "", 400, "too large"},
		{"dva negative overflow", logical.UpdateOperation, "metadata/existing", `{"delete_version_after":"-18446744074"}`, "", 400, "too large"},
		{"dva days overflow", logical.UpdateOperation, "metadata/existing", `{"delete_version_after":"106752d"}`, "", 400, "too large"},
		{"custom_metadata string", logical.UpdateOperation, "metadata/existing", `{"custom_metadata":"a=b"}`, "", 400, "custom_metadata validation failed"},
		{"custom_metadata nested", logical.UpdateOperation, "metadata/existing", `{"custom_metadata":{"a":{"b":"c"}}}`, "", 400, "custom_metadata validation failed"},
		{"custom_metadata empty value", logical.UpdateOperation, "metadata/existing", `{"custom_metadata":{"a":""}}`, "", 400, "custom_metadata validation failed"},
		{"custom_metadata long key", logical.UpdateOperation, "metadata/existing", `{"custom_metadata":{"` + strings.Repeat("k", 129) + `":"v"}}`, "", 400, "len(key)"},
		{"custom_metadata long value", logical.UpdateOperation, "metadata/existing", `{"custom_metadata":{"k":"` + strings.Repeat("v", 513) + `"}}`, "", 400, "len(value)"},
		{"custom_metadata unprintable", logical.UpdateOperation, "metadata/existing", `{"custom_metadata":{"k":"a\u0007"}}`, "", 400, "unprintable"},
		{"custom_metadata too many", logical.UpdateOperation, "metadata/existing", `{"custom_metadata":{` + strings.Join(tooMany, ",") + `}}`, "", 400, "at most 64 keys"},
		{"metadata patch bad field", logical.PatchOperation, "metadata/existing", `{"max_versions":"x"}`, "", 400, `field "max_versions"`},
		{"metadata patch bad custom", logical.PatchOperation, "metadata/existing", `{"custom_metadata":{"a":[1]}}`, "", 400, "custom_metadata validation failed"},
		{"metadata on new path, bad field", logical.UpdateOperation, "metadata/brand-new", `{"max_versions":1,"cas_required":"nope"}`, "", 400, `field "cas_required"`},

		// config
		{"config max_versions word", logical.UpdateOperation, "config", `{"max_versions":"many"}`, "", 400, `field "max_versions"`},
		{"config max_versions negative", logical.UpdateOperation, "config", `{"max_versions":-3}`, "", 400, "max_versions"},
		{"config cas_required word", logical.UpdateOperation, "config", `{"cas_required":"sometimes"}`, "", 400, `field "cas_required"`},
		{"config dva word", logical.UpdateOperation, "config", `{"delete_version_after":"soon"}`, "", 400, `field "delete_version_after"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newV2(t)
			e.write("data/existing", `{"data":{"a":"original"}}`)
			e.write("data/new-sibling", `{"data":{"b":2}}`)
			before := e.snapshot()

			req := &logical.Request{Operation: tc.op, Path: tc.path, Data: body(t, tc.body), Storage: e.s}
			switch tc.ctype {
			case "":
				if tc.op == logical.PatchOperation {
					req.ContentType = "application/merge-patch+json"
				}
			case "-":
			default:
				req.ContentType = tc.ctype
			}
			if _, _, err := e.b.ExistenceCheck(context.Background(), req); err != nil {
				t.Fatalf("existence check: %v", err)
			}
			resp, err := e.b.HandleRequest(context.Background(), req)
			if err == nil {
				t.Fatalf("accepted: %v", resp)
			}
			if got := logical.StatusOf(err); got != tc.status {
				t.Errorf("status %d, want %d (%v)", got, tc.status, err)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("error %q does not mention %q", err, tc.message)
			}
			e.requireUnchanged(before)
			// The existing secret still reads back unchanged.
			got := e.must(logical.ReadOperation, "data/existing", nil)
			if got.Data["data"].(map[string]any)["a"] != "original" {
				t.Errorf("existing secret changed: %v", got.Data)
			}
		})
	}
}

// TestV2CASRequiredMessagesAreExact pins Vault's wording of the two CAS
// errors, which clients match on.
func TestV2CASRequiredMessagesAreExact(t *testing.T) {
	e := newV2(t)
	e.write("config", `{"cas_required":true}`)
	_, err := e.do(logical.UpdateOperation, "data/k", body(t, `{"data":{"a":1}}`))
	if err == nil || err.Error() != "check-and-set parameter required for this call" || logical.StatusOf(err) != http.StatusBadRequest {
		t.Fatalf("got %v", err)
	}
}

// TestUnencodableDataIsRefusedWithoutEcho checks that a value that cannot
// be stored as JSON (possible only for in-process callers) is a 400 that
// does not repeat the value, with nothing written.
func TestUnencodableDataIsRefusedWithoutEcho(t *testing.T) {
	const secretText = "s3cr3t-not-a-number"
	cases := []struct {
		mountType string
		path      string
		data      map[string]any
	}{
		{MountTypeKVv2, "data/k", map[string]any{"data": map[string]any{"x": json.Number(secretText)}}},
		{MountTypeKV, "k", map[string]any{"x": json.Number(secretText)}},
	}
	for _, tc := range cases {
		e := newEnv(t, tc.mountType, nil)
		before := e.snapshot()
		_, err := e.do(logical.UpdateOperation, tc.path, tc.data)
		if err == nil || logical.StatusOf(err) != http.StatusBadRequest || strings.Contains(err.Error(), secretText) {
			t.Errorf("%s: got %v", tc.mountType, err)
		}
		e.requireUnchanged(before)
	}
}
