package e2e

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/vaulttest"
)

// TestAuditDeviceOptions drives the device options and the mount tunes
// through the real server: the audit_non_hmac_* tunes of secret/, log_raw,
// hmac_accessor=false, elide_list_responses, and format=jsonx with a
// prefix; file_path=discard accepts and drops everything.
func TestAuditDeviceOptions(t *testing.T) {
	ctx := context.Background()
	// prefix needs allow_audit_log_prefixing (TestAuditPrefixNeedsConfig).
	s := vaulttest.Start(t, vaulttest.Options{AllowAuditLogPrefixing: true})
	c := s.Client
	logs := t.TempDir()
	path := func(name string) string { return filepath.Join(logs, name+".log") }
	enableFileAudit(t, c, "plain", path("plain"), nil)
	enableFileAudit(t, c, "raw", path("raw"), map[string]string{"log_raw": "true"})
	enableFileAudit(t, c, "acc", path("acc"), map[string]string{"hmac_accessor": "false"})
	enableFileAudit(t, c, "elide", path("elide"), map[string]string{"elide_list_responses": "true"})
	enableFileAudit(t, c, "xml", path("xml"), map[string]string{"format": "jsonx", "prefix": "vaultd-audit: "})
	enableFileAudit(t, c, "nowhere", "discard", nil)

	exempt := []string{"DB_HOST"}
	must(t, c.Sys().TuneMountAllowNil("secret", api.TuneMountConfigInput{
		AuditNonHMACRequestKeys:  &exempt,
		AuditNonHMACResponseKeys: &exempt,
	}), "tune secret/")
	_, err := c.KVv2("secret").Put(ctx, "my-api", walkthroughSecret)
	must(t, err, "kv put")
	_, err = c.KVv2("secret").Put(ctx, "other", map[string]any{"k": "v"})
	must(t, err, "kv put other")
	_, err = c.KVv2("secret").Get(ctx, "my-api")
	must(t, err, "kv get")
	_, err = c.Logical().List("secret/metadata")
	must(t, err, "kv list")
	self, err := c.Auth().Token().LookupSelf()
	must(t, err, "lookup-self")
	accessor := self.Data["accessor"].(string)

	t.Run("audit_non_hmac keys", func(t *testing.T) {
		lines := readAuditLog(t, path("plain"))
		put := onePair(t, lines, "secret/data/my-api", "create").req.entry.Request.Data["data"].(map[string]any)
		get := onePair(t, lines, "secret/data/my-api", "read").resp.entry.Response.Data["data"].(map[string]any)
		for what, data := range map[string]map[string]any{"request": put, "response": get} {
			if data["DB_HOST"] != "prod-db.example.com" {
				t.Errorf("%s data.DB_HOST = %v, want it in plain text (tuned)", what, data["DB_HOST"])
			}
			if data["DB_PASSWORD"] != auditHash(t, c, "plain", "supersecret-from-vault") {
				t.Errorf("%s data.DB_PASSWORD = %v, want its HMAC", what, data["DB_PASSWORD"])
			}
		}
	})
	t.Run("log_raw", func(t *testing.T) {
		get := onePair(t, readAuditLog(t, path("raw")), "secret/data/my-api", "read")
		if get.req.entry.Request.ClientToken != s.RootToken {
			t.Errorf("log_raw: client_token %q, want the token itself", get.req.entry.Request.ClientToken)
		}
		data := get.resp.entry.Response.Data["data"].(map[string]any)
		if data["DB_PASSWORD"] != "supersecret-from-vault" {
			t.Errorf("log_raw: DB_PASSWORD %v", data["DB_PASSWORD"])
		}
	})
	t.Run("hmac_accessor=false", func(t *testing.T) {
		get := onePair(t, readAuditLog(t, path("acc")), "secret/data/my-api", "read")
		if r := get.req.entry.Request; r.ClientTokenAccessor != accessor || r.ClientToken != auditHash(t, c, "acc", s.RootToken) {
			t.Errorf("accessor %q token %q: want the accessor in plain text, the token HMAC'd", r.ClientTokenAccessor, r.ClientToken)
		}
	})
	t.Run("elide_list_responses", func(t *testing.T) {
		list := onePair(t, readAuditLog(t, path("elide")), "secret/metadata/", "list")
		if keys := list.resp.entry.Response.Data["keys"]; keys != float64(2) {
			t.Errorf("elided list keys = %v, want 2", keys)
		}
		full := onePair(t, readAuditLog(t, path("plain")), "secret/metadata/", "list")
		if keys, _ := full.resp.entry.Response.Data["keys"].([]any); len(keys) != 2 {
			t.Errorf("list keys without elision = %v", full.resp.entry.Response.Data["keys"])
		}
	})
	t.Run("jsonx with prefix", func(t *testing.T) {
		text, err := os.ReadFile(path("xml"))
		must(t, err, "read xml log")
		lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
		if len(lines) < 10 || !strings.Contains(lines[len(lines)-1], `<json:string name="type">response</json:string>`) {
			t.Fatalf("jsonx log has %d lines", len(lines))
		}
		for i, l := range lines {
			body, ok := strings.CutPrefix(l, "vaultd-audit: ")
			if !ok {
				t.Fatalf("line %d lacks the prefix: %.80s", i+1, l)
			}
			// As in Vault, a line holds the members of the entry object
			// without the enclosing element; wrapped in one, it is XML.
			doc := `<json:object xmlns:json="` + audit.JSONXNamespace + `">` + body + `</json:object>`
			if err := wellFormedXML(doc); err != nil {
				t.Fatalf("line %d is not one XML document: %v\n%.200s", i+1, err, body)
			}
		}
		if strings.Contains(string(text), "supersecret-from-vault") || strings.Contains(string(text), s.RootToken) {
			t.Fatal("the jsonx log holds a secret in plain text")
		}
	})
}

// wellFormedXML reports whether s is exactly one well-formed XML element.
func wellFormedXML(s string) error {
	dec := xml.NewDecoder(strings.NewReader(s))
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 || depth != 0 {
		return errors.New("want exactly one root element")
	}
	return nil
}
