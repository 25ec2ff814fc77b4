package core

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// TestPolicyWriteAcceptsBase64: as in Vault, the policy text of
// sys/policies/acl/<name> and the legacy sys/policy/<name> may be sent
// base64-encoded; it is stored and read back decoded. Text that decodes to
// something that is not a policy is a 400 and nothing is stored.
func TestPolicyWriteAcceptsBase64(t *testing.T) {
	c, root := unsealedTestCore(t)
	ctx := context.Background()
	const hcl = `path "secret/data/*" { capabilities = ["read"] }`
	const js = `{"path":{"secret/data/*":{"capabilities":["read"]}}}`
	b64 := base64.StdEncoding.EncodeToString
	cases := []struct {
		name, path, field, text string
		wantErr                 bool
		wantStored              string
	}{
		{"plain HCL", "sys/policies/acl/plain", "policy", hcl, false, hcl},
		{"base64 HCL", "sys/policies/acl/b64", "policy", b64([]byte(hcl)), false, hcl},
		{"base64 JSON", "sys/policies/acl/b64json", "policy", b64([]byte(js)), false, js},
		{"legacy rules base64", "sys/policy/legacy", "rules", b64([]byte(hcl)), false, hcl},
		{"base64 of junk", "sys/policies/acl/junk", "policy", "abcd", true, ""},
		{"base64 of bad HCL", "sys/policies/acl/badhcl", "policy", b64([]byte(`path {`)), true, ""},
	}
	for _, tc := range cases {
		_, err := c.HandleRequest(ctx, rootRequest(root, logical.UpdateOperation, tc.path, map[string]any{tc.field: tc.text}))
		read, rerr := c.HandleRequest(ctx, rootRequest(root, logical.ReadOperation, tc.path, nil))
		if tc.wantErr {
			if err == nil || logical.StatusOf(err) != 400 {
				t.Errorf("%s: err %v, want a 400", tc.name, err)
			}
			if rerr != nil || read != nil {
				t.Errorf("%s: something was stored: %+v %v", tc.name, read, rerr)
			}
			continue
		}
		if err != nil || rerr != nil || read == nil {
			t.Fatalf("%s: write %v, read %+v %v", tc.name, err, read, rerr)
		}
		if got := read.Data[tc.field]; got != tc.wantStored {
			t.Errorf("%s: stored %q, want %q", tc.name, got, tc.wantStored)
		}
	}
	// The decoded policy is the one enforced.
	tok, err := c.HandleRequest(ctx, rootRequest(root, logical.UpdateOperation, "auth/token/create", map[string]any{"policies": "b64"}))
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	caps, err := c.HandleRequest(ctx, rootRequest(tok.Auth.ClientToken, logical.UpdateOperation, "sys/capabilities-self", map[string]any{"paths": "secret/data/x"}))
	if err != nil {
		t.Fatalf("capabilities-self: %v", err)
	}
	if got, _ := caps.Data["secret/data/x"].([]string); len(got) != 1 || got[0] != "read" {
		t.Errorf("capabilities under the base64-written policy: %v", caps.Data)
	}
}

// TestPolicyParseErrorSaysSoOnce: a policy that does not parse is a 400
// whose message starts with Vault's "failed to parse policy: ", once.
func TestPolicyParseErrorSaysSoOnce(t *testing.T) {
	c, root := unsealedTestCore(t)
	for _, text := range []string{`path { nope`, `path "a/*" { capabilities = ["fly"] }`, `{"path": 5}`} {
		_, err := c.HandleRequest(context.Background(), rootRequest(root, logical.UpdateOperation, "sys/policies/acl/bad", map[string]any{"policy": text}))
		if err == nil || logical.StatusOf(err) != 400 {
			t.Fatalf("%q: err %v, want a 400", text, err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "failed to parse policy: ") || strings.Count(msg, "failed to parse policy") != 1 {
			t.Errorf("%q: message %q", text, msg)
		}
	}
}
