// Package e2e drives a real vaultd — a node behind a real HTTP listener —
// with github.com/hashicorp/vault/api, the client library the vault CLI
// uses. Each test starts its own server through vaulttest.
package e2e

import (
	"encoding/json"
	"errors"
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

// raw sends one request with the client's token and headers and returns
// the status and the decoded JSON body (numbers as json.Number), so a test
// can see exactly what the server answered. body, when not nil, is sent as
// JSON.
func raw(t *testing.T, c *api.Client, method, pathAndQuery string, body any) (int, map[string]any) {
	t.Helper()
	var text string
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("bad test body %v: %v", body, err)
		}
		text = string(b)
	}
	status, data := kvSend(t, c, method, pathAndQuery, "", text)
	return status, kvDecode(t, data)
}
