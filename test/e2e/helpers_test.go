// Package e2e drives a real vaultd — a node behind a real HTTP listener —
// with github.com/hashicorp/vault/api, the client library the vault CLI
// uses. Each test starts its own server through vaulttest.
package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/hashicorp/vault/api"
)

// wantStatus fails the test unless err is an API error with that status.
func wantStatus(t *testing.T, err error, status int, what string) {
	t.Helper()
	var re *api.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("%s: want HTTP %d, got %v", what, status, err)
	}
	if re.StatusCode != status {
		t.Fatalf("%s: want HTTP %d, got %d: %v", what, status, re.StatusCode, re.Errors)
	}
}

// must fails the test on err.
func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// raw sends one request and returns the status and decoded JSON body, so a
// test can see exactly what the server answered.
func raw(t *testing.T, c *api.Client, method, path string, body any) (int, map[string]any) {
	t.Helper()
	r := c.NewRequest(method, "/v1/"+path)
	if body != nil {
		if err := r.SetJSONBody(body); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := c.RawRequestWithContext(context.Background(), r)
	if resp == nil {
		t.Fatalf("%s %s: no response: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, data)
		}
	}
	return resp.StatusCode, out
}
