package command_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestCLIHabits: the vault CLI's ways of passing data and choosing output,
// each checked against what the server then holds or answers.
func TestCLIHabits(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := newCLI(t, s)
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	read := func(path string) map[string]any {
		t.Helper()
		sec, err := s.Client.Logical().Read(path)
		if err != nil || sec == nil {
			t.Fatalf("read %s: %v %v", path, sec, err)
		}
		return sec.Data
	}

	{ // data arguments
		// A JSON body on standard input keeps its numbers and objects.
		c.must(`{"data": {"n": 5, "obj": {"a": [1, 2]}, "s": "x"}}`, "write", "secret/data/json", "-")
		got := read("secret/data/json")["data"].(map[string]any)
		if b, _ := json.Marshal(got); string(b) != `{"n":5,"obj":{"a":[1,2]},"s":"x"}` {
			t.Errorf("- body stored as %s", b)
		}
		// K=@file is the file's contents, K=- standard input, @file a JSON object.
		pem := file("cert.pem", "-----BEGIN X-----\nabc\n-----END X-----\n")
		c.must("from stdin", "kv", "put", "secret/files", "cert=@"+pem, "note=-")
		kv := read("secret/data/files")["data"].(map[string]any)
		if kv["cert"] != "-----BEGIN X-----\nabc\n-----END X-----\n" || kv["note"] != "from stdin" {
			t.Errorf("files: %v", kv)
		}
		c.must("", "write", "secret/data/atfile", "@"+file("body.json", `{"data": {"k": "from-file"}}`))
		if got := read("secret/data/atfile")["data"].(map[string]any)["k"]; got != "from-file" {
			t.Errorf("@file body: %v", got)
		}
		// "--" ends the flags: a value that looks like a flag is data.
		c.must("", "kv", "put", "secret/dash", "--", "-x=1")
		if got := read("secret/data/dash")["data"].(map[string]any)["-x"]; got != "1" {
			t.Errorf("after --: %v", got)
		}
	}

	{ // query parameters and a read-modify-write patch
		c.must("", "kv", "put", "secret/versions", "v=one")
		c.must("", "kv", "put", "secret/versions", "v=two", "w=kept")
		if got := c.must("", "read", "-field=data", "secret/data/versions", "version=1"); got != "map[v:one]" {
			t.Errorf("read with version=1: %q", got)
		}
		c.must("", "kv", "patch", "-method=rw", "secret/versions", "v=three")
		got := read("secret/data/versions")["data"].(map[string]any)
		if got["v"] != "three" || got["w"] != "kept" {
			t.Errorf("after patch -method=rw: %v", got)
		}
	}

	{ // check-and-set
		c.must("", "kv", "put", "-cas=0", "secret/cas", "v=1")
		r := c.run("", "kv", "put", "-cas=0", "secret/cas", "v=2")
		if r.code != 2 || !strings.Contains(r.stderr, "check-and-set") {
			t.Errorf("second -cas=0: exit %d %s", r.code, r.stderr)
		}
		c.must("", "kv", "put", "-cas=1", "secret/cas", "v=2")
		if got := read("secret/data/cas")["data"].(map[string]any)["v"]; got != "2" {
			t.Errorf("after -cas=1: %v", got)
		}
	}

	{ // formats
		asJSON := c.must("", "kv", "get", "-format=json", "secret/cas")
		asYAML := c.must("", "kv", "get", "-format=yaml", "secret/cas")
		c.env["VAULT_FORMAT"] = "json"
		fromEnv := c.must("", "kv", "get", "secret/cas")
		delete(c.env, "VAULT_FORMAT")
		var j, y, e map[string]any
		if err := json.Unmarshal([]byte(asJSON), &j); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal([]byte(asYAML), &y); err != nil {
			t.Fatalf("yaml: %v\n%s", err, asYAML)
		}
		if err := json.Unmarshal([]byte(fromEnv), &e); err != nil {
			t.Fatalf("VAULT_FORMAT=json: %v\n%s", err, fromEnv)
		}
		for _, m := range []map[string]any{j, y, e} {
			delete(m, "request_id")
		}
		if !reflect.DeepEqual(j, y) || !reflect.DeepEqual(j, e) {
			t.Errorf("json %v\nyaml %v\nenv %v", j, y, e)
		}
		if got := c.must("", "kv", "get", "-format=json", "-field=v", "secret/cas"); got != `"2"` {
			t.Errorf("-field in JSON: %q", got)
		}
	}

	{ // policy fmt
		p := file("p.hcl", "path \"secret/*\" {\ncapabilities=[\"read\"]\n}\n")
		c.must("", "policy", "fmt", p)
		b, _ := os.ReadFile(p)
		if string(b) != "path \"secret/*\" {\n  capabilities = [\"read\"]\n}\n" {
			t.Errorf("formatted:\n%s", b)
		}
		bad := file("bad.hcl", "path {")
		if r := c.run("", "policy", "fmt", bad); r.code != 1 || !strings.Contains(r.stderr, "Error parsing policy") {
			t.Errorf("bad policy: exit %d %s", r.code, r.stderr)
		}
	}

	{ // token renew and revoke
		tok := strings.TrimSpace(c.must("", "token", "create", "-ttl=1h", "-field=token"))
		out := c.must("", "token", "renew", "-increment=30m", tok)
		if !hasRow(out, "token_duration", "30m") {
			t.Errorf("renew:\n%s", out)
		}
		if got := c.must("", "token", "revoke", tok); got != "Success! Revoked token (if it existed)\n" {
			t.Errorf("revoke: %q", got)
		}
		if _, err := s.Client.Auth().Token().Lookup(tok); err == nil {
			t.Error("the token still exists after revoke")
		}
	}

	{ // client timeout
		// A server that accepts and never answers.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
			}
		}()
		c.env["VAULT_CLIENT_TIMEOUT"] = "1s"
		defer delete(c.env, "VAULT_CLIENT_TIMEOUT")
		r := c.run("", "read", "-address=http://"+ln.Addr().String(), "secret/data/x")
		if r.code != 2 || !strings.Contains(r.stderr, "deadline exceeded") {
			t.Errorf("silent server: exit %d %s", r.code, r.stderr)
		}
	}
}
