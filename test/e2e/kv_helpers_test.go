package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"
)

// kvSend sends body exactly as given (it need not be JSON) with the
// client's token and headers and returns the status and the raw response
// body. The path may carry a query ("secret/metadata?list=true"): it is
// sent as written, where the Vault client would escape the "?".
func kvSend(t *testing.T, c *api.Client, method, pathAndQuery, contentType, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, c.Address()+"/v1/"+pathAndQuery, strings.NewReader(body))
	if err != nil {
		t.Fatalf("build %s %s: %v", method, pathAndQuery, err)
	}
	for k, v := range c.Headers() {
		req.Header[k] = v
	}
	req.Header.Set("X-Vault-Token", c.Token())
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.CloneConfig().HttpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, pathAndQuery, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, pathAndQuery, err)
	}
	return resp.StatusCode, data
}

// kvDecode decodes a JSON object keeping numbers as json.Number.
func kvDecode(t *testing.T, data []byte) map[string]any {
	t.Helper()
	out := map[string]any{}
	if len(data) == 0 {
		return out
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("body is not a JSON object: %q", data)
	}
	return out
}

// kvField walks nested objects: kvField(body, "data", "metadata", "version").
func kvField(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
