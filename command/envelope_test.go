package command_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestJSONIsTheEnvelope: read -format=json prints the server's response
// envelope itself, field for field (request_id aside, which differs per
// request; null fields the client library leaves out aside). The legacy
// sys/ answers that repeat data at the top level are left out: the client
// library, like the vault CLI, keeps only the envelope fields.
func TestJSONIsTheEnvelope(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := newCLI(t, s)
	c.must("", "kv", "put", "secret/env", "n=1", "s=two")
	for _, path := range []string{"secret/data/env", "secret/metadata/env", "auth/token/lookup-self"} {
		var fromCLI map[string]any
		if err := json.Unmarshal([]byte(c.must("", "read", "-format=json", path)), &fromCLI); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.Addr+"/v1/"+path, nil)
		req.Header.Set("X-Vault-Token", s.RootToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var fromAPI map[string]any
		if err := json.Unmarshal(body, &fromAPI); err != nil {
			t.Fatal(err)
		}
		for _, m := range []map[string]any{fromCLI, fromAPI} {
			delete(m, "request_id")
			for k, v := range m {
				if v == nil {
					delete(m, k)
				}
			}
		}
		if !reflect.DeepEqual(fromCLI, fromAPI) {
			t.Errorf("%s: the CLI printed\n%v\nthe API answered\n%v", path, fromCLI, fromAPI)
		}
	}
}
