package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

const mergePatchJSON = "application/merge-patch+json"

// TestKVBadInputHTTP sends malformed KV v2 requests over the real listener,
// exactly as written (the Vault client would clean a path or refuse to
// encode a bad body first), and checks each is a 400 naming the problem
// and that the mount's contents — every key, its metadata and its data —
// are exactly what they were.
func TestKVBadInputHTTP(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	for _, p := range []string{"existing", "dir/inner"} {
		if status, body := kvSend(t, c, http.MethodPost, "secret/data/"+p, "", `{"data":{"a":"original","n":1}}`); status != http.StatusOK {
			t.Fatalf("setup %s: %d %s", p, status, body)
		}
	}

	cases := []struct {
		name, method, path, ctype, body string
		want                            string // substring of the error
	}{
		// The body is not JSON, or not one JSON object.
		{"truncated JSON", "POST", "secret/data/existing", "", `{"data":{"a":"new"}`, "failed to parse JSON input"},
		{"not JSON at all", "POST", "secret/data/fresh", "", `DB_PASSWORD=x`, "failed to parse JSON input"},
		{"JSON array body", "PUT", "secret/data/fresh", "", `[{"data":{"a":1}}]`, "must be a JSON object"},
		{"JSON string body", "POST", "secret/data/fresh", "", `"data"`, "must be a JSON object"},
		{"trailing garbage", "POST", "secret/data/existing", "", `{"data":{"a":"new"}} {"x":1}`, "failed to parse JSON input"},
		{"bad JSON on patch", "PATCH", "secret/data/existing", mergePatchJSON, `{"data":{"a":}}`, "failed to parse JSON input"},
		{"bad JSON on metadata", "POST", "secret/metadata/existing", "", `{max_versions:1}`, "failed to parse JSON input"},
		{"bad JSON on destroy", "PUT", "secret/destroy/existing", "", `{"versions":[1]`, "failed to parse JSON input"},

		// data is not an object.
		{"data string", "POST", "secret/data/existing", "", `{"data":"a=b"}`, `field "data"`},
		{"data array", "POST", "secret/data/fresh", "", `{"data":[{"a":1}]}`, `field "data"`},
		{"data number", "PUT", "secret/data/fresh", "", `{"data":42}`, `field "data"`},
		{"data bool", "POST", "secret/data/existing", "", `{"data":true}`, `field "data"`},
		{"data missing", "POST", "secret/data/fresh", "", `{"a":"b"}`, "no data provided"},
		{"data null", "POST", "secret/data/existing", "", `{"data":null}`, "no data provided"},
		{"patch data string", "PATCH", "secret/data/existing", mergePatchJSON, `{"data":"x"}`, `field "data"`},

		// cas is not a (non-negative whole) number.
		{"cas word", "POST", "secret/data/existing", "", `{"data":{"a":1},"options":{"cas":"one"}}`, "check-and-set"},
		{"cas fraction", "POST", "secret/data/existing", "", `{"data":{"a":1},"options":{"cas":1.5}}`, "check-and-set"},
		{"cas bool", "POST", "secret/data/fresh", "", `{"data":{"a":1},"options":{"cas":true}}`, "check-and-set"},
		{"cas object", "POST", "secret/data/existing", "", `{"data":{"a":1},"options":{"cas":{"v":1}}}`, "check-and-set"},
		{"cas negative", "POST", "secret/data/existing", "", `{"data":{"a":1},"options":{"cas":-1}}`, "check-and-set"},
		{"options not object", "POST", "secret/data/existing", "", `{"data":{"a":1},"options":"cas=1"}`, `field "options"`},
		{"patch cas word", "PATCH", "secret/data/existing", mergePatchJSON, `{"data":{"a":1},"options":{"cas":"x"}}`, "check-and-set"},

		// versions is not a list of integers.
		{"delete versions words", "POST", "secret/delete/existing", "", `{"versions":"a,b"}`, `field "versions"`},
		{"delete versions mixed", "POST", "secret/delete/existing", "", `{"versions":[1,"x"]}`, `field "versions"`},
		{"delete versions missing", "POST", "secret/delete/existing", "", `{}`, "No version number provided"},
		{"undelete versions object", "POST", "secret/undelete/existing", "", `{"versions":{"1":true}}`, `field "versions"`},
		{"undelete versions fraction", "POST", "secret/undelete/existing", "", `{"versions":[1.5]}`, `field "versions"`},
		{"destroy versions bool", "PUT", "secret/destroy/existing", "", `{"versions":true}`, `field "versions"`},
		{"destroy versions nested", "PUT", "secret/destroy/existing", "", `{"versions":[[1]]}`, `field "versions"`},
		{"destroy versions negative", "PUT", "secret/destroy/existing", "", `{"versions":[-1]}`, "negative"},
		{"destroy versions empty", "PUT", "secret/destroy/existing", "", `{"versions":[]}`, "no version number provided"},

		// Paths with dot segments or empty segments.
		{"dotdot inside", "POST", "secret/data/dir/../existing", "", `{"data":{"a":"new"}}`, `".."`},
		{"dotdot to another mount", "POST", "secret/../sys/mounts/evil", "", `{"type":"kv"}`, `".."`},
		{"escaped dotdot", "POST", "secret/data/%2e%2e/existing", "", `{"data":{"a":"new"}}`, `".."`},
		{"dot segment", "POST", "secret/data/./existing", "", `{"data":{"a":"new"}}`, `"."`},
		{"trailing dotdot", "DELETE", "secret/metadata/dir/inner/..", "", "", `".."`},
		{"empty segment", "POST", "secret/data/dir//inner", "", `{"data":{"a":"new"}}`, "empty path segment"},
		{"empty segment after data", "POST", "secret/data//existing", "", `{"data":{"a":"new"}}`, "empty path segment"},
		{"leading slash", "POST", "/secret/data/existing", "", `{"data":{"a":"new"}}`, "empty path segment"},
		{"trailing slash on a write", "POST", "secret/data/existing/", "", `{"data":{"a":"new"}}`, "empty path segment"},
		{"empty segment on metadata", "POST", "secret/metadata/dir//inner", "", `{"max_versions":1}`, "empty path segment"},
		{"empty segment on destroy", "PUT", "secret/destroy/dir//inner", "", `{"versions":[1]}`, "empty path segment"},
		{"empty segment on delete", "DELETE", "secret/data/dir//inner", "", "", "empty path segment"},
		{"no secret path", "POST", "secret/data/", "", `{"data":{"a":"new"}}`, "missing path"},

		// Query parameters that are not numbers.
		{"version word", "GET", "secret/data/existing?version=latest", "", "", `field "version"`},
		{"subkeys depth word", "GET", "secret/subkeys/existing?depth=deep", "", "", `field "depth"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := kvSnapshot(t, s)
			status, body := kvSend(t, c, tc.method, tc.path, tc.ctype, tc.body)
			if status != http.StatusBadRequest {
				t.Fatalf("%s %s %s: %d %s, want 400", tc.method, tc.path, tc.body, status, body)
			}
			errs, _ := kvDecode(t, body)["errors"].([]any)
			if len(errs) == 0 || !strings.Contains(fmt.Sprint(errs...), tc.want) {
				t.Fatalf("errors %v do not mention %q", errs, tc.want)
			}
			if after := kvSnapshot(t, s); after != before {
				t.Fatalf("a refused request changed the mount:\nbefore %s\n after %s", before, after)
			}
		})
	}
}

// kvSnapshot renders everything under secret/ — every key found by
// listing, its full metadata and every version's data — as one string.
func kvSnapshot(t *testing.T, s *vaulttest.Server) string {
	t.Helper()
	out := map[string]any{}
	var walk func(prefix string)
	walk = func(prefix string) {
		status, body := raw(t, s.Client, "LIST", "secret/metadata/"+prefix, nil)
		if status == http.StatusNotFound {
			return
		}
		if status != http.StatusOK {
			t.Fatalf("LIST secret/metadata/%s: %d %v", prefix, status, body)
		}
		for _, k := range kvKeys(body) {
			if strings.HasSuffix(k, "/") {
				walk(prefix + k)
				continue
			}
			out[prefix+k] = kvSnapshotKey(t, s, prefix+k)
		}
	}
	walk("")
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func kvSnapshotKey(t *testing.T, s *vaulttest.Server, key string) map[string]any {
	t.Helper()
	status, md := raw(t, s.Client, http.MethodGet, "secret/metadata/"+key, nil)
	if status != http.StatusOK {
		t.Fatalf("metadata of listed key %s: %d %v", key, status, md)
	}
	versions, _ := kvField(md, "data", "versions").(map[string]any)
	nums := make([]string, 0, len(versions))
	for v := range versions {
		nums = append(nums, v)
	}
	sort.Strings(nums)
	data := map[string]any{}
	for _, v := range nums {
		_, body := raw(t, s.Client, http.MethodGet, "secret/data/"+key+"?version="+v, nil)
		data[v] = kvField(body, "data", "data")
	}
	return map[string]any{"metadata": md["data"], "data": data}
}
