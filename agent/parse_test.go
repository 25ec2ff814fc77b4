package agent

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The Kubernetes example of Vault Agent's tutorial, with a templating
// section in the shape the templating docs give and the API proxy stanza.
const docsExampleHCL = `
exit_after_auth = false
pid_file = "/home/vault/pidfile"

vault {
  address = "https://vault.example.com:8200"
  ca_path = "/vault/ca"
  tls_skip_verify = false
  retry {
    num_retries = 5
  }
}

auto_auth {
    method "kubernetes" {
        mount_path = "auth/kubernetes"
        config = {
            role = "example"
        }
    }

    sink "file" {
        config = {
            path = "/home/vault/.vault-token"
        }
    }
}

api_proxy {
  use_auto_auth_token = true
}

listener "tcp" {
  address = "127.0.0.1:8100"
  tls_disable = true
}

template_config {
  static_secret_render_interval = "10m"
  exit_on_retry_failure = true
  max_connections_per_host = 20
}

template {
  source      = "/etc/vault/server.key.ctmpl"
  destination = "/etc/vault/server.key"
}

template {
  contents    = "{{ with secret \"secret/data/app\" }}{{ .Data.data.password }}{{ end }}"
  destination = "/etc/vault/password"
  perms       = 0600
  command     = "restart service foo"
  command_timeout = "30s"
  error_on_missing_key = true
  left_delimiter = "[["
  right_delimiter = "]]"
  create_dest_dirs = false
  wait {
    min = "2s"
    max = "10s"
  }
}
`

func TestParseDocsExample(t *testing.T) {
	c, err := Parse("agent.hcl", []byte(docsExampleHCL))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate("agent.hcl"); err != nil {
		t.Fatal(err)
	}
	if c.ExitAfterAuth || c.PidFile != "/home/vault/pidfile" {
		t.Errorf("top level: %+v", c)
	}
	if c.Vault.Address != "https://vault.example.com:8200" || c.Vault.CAPath != "/vault/ca" || c.Vault.NumRetries != 5 {
		t.Errorf("vault: %+v", c.Vault)
	}
	m := c.AutoAuth.Method
	if m.Type != "kubernetes" || m.MountPath != "auth/kubernetes" || m.Role != "example" || m.TokenPath != DefaultKubernetesTokenPath {
		t.Errorf("method: %+v", m)
	}
	if len(c.AutoAuth.Sinks) != 1 || c.AutoAuth.Sinks[0].Path != "/home/vault/.vault-token" || c.AutoAuth.Sinks[0].Mode != DefaultSinkMode {
		t.Errorf("sinks: %+v", c.AutoAuth.Sinks)
	}
	if c.APIProxy == nil || c.APIProxy.UseAutoAuthToken != AutoAuthTokenOn || len(c.Listeners) != 1 || !c.Listeners[0].TLSDisable {
		t.Errorf("proxy %+v listeners %+v", c.APIProxy, c.Listeners)
	}
	want := TemplateConfig{StaticSecretRenderInterval: 10 * time.Minute, ExitOnRetryFailure: true, MaxConnectionsPerHost: 20}
	if c.TemplateConfig != want {
		t.Errorf("template_config: %+v", c.TemplateConfig)
	}
	if len(c.Templates) != 2 {
		t.Fatalf("%d templates", len(c.Templates))
	}
	if s := c.Templates[0]; s.Source != "/etc/vault/server.key.ctmpl" || s.Perms != DefaultTemplatePerms || !s.CreateDestDirs {
		t.Errorf("first template: %+v", s)
	}
	tp := c.Templates[1]
	if tp.Perms != 0o600 || !reflect.DeepEqual(tp.Command, []string{"restart service foo"}) || tp.CommandTimeout != 30*time.Second ||
		!tp.ErrorOnMissingKey || tp.LeftDelimiter != "[[" || tp.RightDelimiter != "]]" || tp.CreateDestDirs ||
		tp.WaitMin != 2*time.Second || tp.WaitMax != 10*time.Second {
		t.Errorf("second template: %+v", tp)
	}
}

// injectorJSON is what hashicorp/vault-k8s writes for a sidecar with the
// agent cache enabled (agent-cache-enable): listener, cache with
// use_auto_auth_token as a string, template_config.
const injectorJSON = `{"auto_auth":{"method":{"type":"kubernetes","mount_path":"auth/kubernetes","config":{"role":"my-api-role"}},"sink":[{"type":"file","config":{"path":"/home/vault/.vault-token"}}]},"exit_after_auth":false,"pid_file":"/home/vault/.pid","vault":{"address":"https://vaultd.vaultd.svc:8200","ca_cert":"/vault/tls/ca.crt","tls_skip_verify":false},"template":[{"destination":"/vault/secrets/config","contents":"{{ with secret \"secret/data/my-api\" }}{{ range $k, $v := .Data }}{{ $k }}: {{ $v }}\n{{ end }}{{ end }}","left_delimiter":"{{","right_delimiter":"}}","command":"","error_on_missing_key":false}],"listener":[{"type":"tcp","address":"127.0.0.1:8200","tls_disable":true}],"cache":{"use_auto_auth_token":"true"},"template_config":{"exit_on_retry_failure":true,"static_secret_render_interval":"5m"}}`

func TestParseInjectorJSON(t *testing.T) {
	for name, parse := range map[string]func() (*Config, error){
		"file":        func() (*Config, error) { return Parse("agent.json", []byte(injectorJSON)) },
		"env base64":  func() (*Config, error) { return ParseEnv(base64.StdEncoding.EncodeToString([]byte(injectorJSON))) },
		"env plain":   func() (*Config, error) { return ParseEnv(injectorJSON) },
		"env raw b64": func() (*Config, error) { return ParseEnv(base64.RawStdEncoding.EncodeToString([]byte(injectorJSON))) },
		"env padded ws": func() (*Config, error) {
			return ParseEnv("\n" + base64.StdEncoding.EncodeToString([]byte(injectorJSON)) + "\n")
		},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := parse()
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Validate("x"); err != nil {
				t.Fatal(err)
			}
			if c.AutoAuth.Method.Role != "my-api-role" || c.AutoAuth.Sinks[0].Path != "/home/vault/.vault-token" {
				t.Errorf("auto_auth: %+v %+v", c.AutoAuth.Method, c.AutoAuth.Sinks)
			}
			if c.Vault.CACert != "/vault/tls/ca.crt" || c.PidFile != "/home/vault/.pid" {
				t.Errorf("vault %+v pid %q", c.Vault, c.PidFile)
			}
			if len(c.Templates) != 1 || c.Templates[0].Command != nil || !strings.Contains(c.Templates[0].Contents, "range $k") {
				t.Errorf("templates: %+v", c.Templates[0])
			}
			if len(c.Listeners) != 1 || c.Listeners[0].Address != "127.0.0.1:8200" {
				t.Errorf("listeners: %+v", c.Listeners)
			}
			if p := c.proxyFor(c.Listeners[0]); p == nil || p.UseAutoAuthToken != AutoAuthTokenOn {
				t.Errorf("cache { use_auto_auth_token = \"true\" } gives proxy %+v", p)
			}
			if !c.TemplateConfig.ExitOnRetryFailure || c.TemplateConfig.StaticSecretRenderInterval != 5*time.Minute {
				t.Errorf("template_config: %+v", c.TemplateConfig)
			}
		})
	}
}

// The HCL block forms and their JSON equivalents give the same config.
func TestParseFormsAgree(t *testing.T) {
	hcl := `
vault { address = "http://127.0.0.1:8200" }
auto_auth {
  method "kubernetes" {
    config = { role = "r", token_path = "/t" }
  }
  sink "file" { config = { path = "/s", mode = "0600" } }
}
listener "tcp" {
  address = "127.0.0.1:8100"
  tls_disable = true
}
template {
  destination = "/d"
  contents = "x"
}
`
	forms := map[string]string{
		"type key": `{"vault":{"address":"http://127.0.0.1:8200"},
"auto_auth":{"method":{"type":"kubernetes","config":{"role":"r","token_path":"/t"}},
"sink":[{"type":"file","config":{"path":"/s","mode":"0600"}}]},
"listener":[{"type":"tcp","address":"127.0.0.1:8100","tls_disable":true}],
"template":[{"destination":"/d","contents":"x"}]}`,
		"label nesting": `{"vault":{"address":"http://127.0.0.1:8200"},
"auto_auth":{"method":{"kubernetes":{"config":{"role":"r","token_path":"/t"}}},
"sink":{"file":{"config":{"path":"/s","mode":"0600"}}}},
"listener":{"tcp":{"address":"127.0.0.1:8100","tls_disable":"true"}},
"template":{"destination":"/d","contents":"x"}}`,
		"hcl type key": `
vault { address = "http://127.0.0.1:8200" }
auto_auth {
  method {
    type = "kubernetes"
    config { role = "r" token_path = "/t" }
  }
  sink { type = "file" config { path = "/s" mode = 0600 } }
}
listener { type = "tcp" address = "127.0.0.1:8100" tls_disable = true }
template { destination = "/d" contents = "x" }
`,
	}
	norm := func(c *Config) *Config {
		for _, t := range c.Templates {
			t.at = ""
		}
		return c
	}
	want, err := Parse("a.hcl", []byte(hcl))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range forms {
		file := "a.json"
		if strings.HasPrefix(name, "hcl") {
			file = "a.hcl"
		}
		got, err := Parse(file, []byte(text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(norm(got), norm(want)) {
			t.Errorf("%s:\n got %+v %+v %+v\nwant %+v %+v %+v", name, got.AutoAuth.Method, got.AutoAuth.Sinks[0], got.Listeners[0], want.AutoAuth.Method, want.AutoAuth.Sinks[0], want.Listeners[0])
		}
	}
}

// Bad input names the file and the line, in HCL and in JSON.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, file, text, want string
	}{
		{"unknown top key", "a.hcl", "vault {}\nfoo = 1\n", `a.hcl:2: unknown key "foo"`},
		{"unknown vault key", "a.hcl", "vault {\n  adress = \"x\"\n}\n", `a.hcl:2: vault: unknown key "adress"`},
		{"unknown method", "a.hcl", "auto_auth {\n  method \"aws\" {}\n}\n", `a.hcl:2: auto_auth.method: unsupported type "aws"`},
		{"sink without path", "a.hcl", "auto_auth {\n sink \"file\" {}\n}\n", "a.hcl:2: sink file: config.path is required"},
		{"bad bool", "a.hcl", "exit_after_auth = \"maybe\"\n", "a.hcl:1: exit_after_auth: want true or false"},
		{"bad duration", "a.hcl", "template_config {\n  static_secret_render_interval = \"soon\"\n}\n", "a.hcl:2: template_config.static_secret_render_interval: want a duration"},
		{"bad mode", "a.hcl", "auto_auth {\n sink \"file\" {\n  config = {\n   path = \"/s\"\n   mode = \"0999\"\n  }\n }\n}\n", "a.hcl:5: sink file config.mode: want an octal file mode"},
		{"template without destination", "a.hcl", "template {\n contents = \"x\"\n}\n", "a.hcl:1: template: destination is required"},
		{"template with both", "a.hcl", "template {\n destination = \"/d\"\n contents = \"x\"\n source = \"/s\"\n}\n", "give contents or source, not both"},
		{"duplicate vault", "a.hcl", "vault {}\nvault {}\n", "a.hcl:2: vault is declared more than once (first on line 1)"},
		{"syntax", "a.hcl", "vault {\n", "a.hcl:"},
		{"listener needs tls", "a.hcl", "listener \"tcp\" {\n address = \"127.0.0.1:1\"\n}\n", "give tls_cert_file and tls_key_file, or tls_disable = true"},
		{"bad proxy value", "a.hcl", "api_proxy {\n use_auto_auth_token = \"sometimes\"\n}\n", `a.hcl:2: api_proxy.use_auto_auth_token: want true, false or "force"`},
		{"wrap_ttl refused", "a.hcl", "auto_auth {\n method \"kubernetes\" {\n  wrap_ttl = \"5m\"\n }\n}\n", "response wrapping of the auto-auth token is not supported"},
		{"json unknown key", "a.json", "{\n  \"vault\": {\"address\": \"x\"},\n  \"exit_after_auht\": true\n}\n", `a.json:3: unknown key "exit_after_auht"`},
		{"json unknown nested", "a.json", "{\"auto_auth\": {\n \"method\": {\"type\": \"kubernetes\",\n  \"config\": {\"rol\": \"x\"}}}}\n", `a.json:3: method kubernetes config: unknown key "rol"`},
		{"json template type", "a.json", "{\"template\": [\n  \"x\"\n]}\n", "a.json:2: template: want a block"},
		{"json syntax", "a.json", "{\n \"vault\": {\n}\n", "a.json:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.file, []byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"no auto_auth", `vault { address = "http://x" }`, "auto_auth with a method is required"},
		{"no role", `auto_auth { method "kubernetes" {} }`, "config.role is required"},
		{"token_file path", `auto_auth { method "token_file" {} }`, "config.token_file_path is required"},
		{"bad address", "vault { address = \"vaultd:8200\" }\nauto_auth { method \"kubernetes\" { config = { role = \"r\" } } }", "want http:// or https://"},
		{"same destination", "auto_auth { method \"kubernetes\" { config = { role = \"r\" } } }\ntemplate {\n destination = \"/d\"\n contents = \"a\"\n}\ntemplate {\n destination = \"/d\"\n contents = \"b\"\n}\n", "destination /d is also the destination of the template at a.hcl:2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("a.hcl", []byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Validate("a.hcl"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// Flags beat VAULT_* variables, which beat the file; VAULT_CONFIG is read
// only without -config.
func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "agent.hcl")
	text := "vault {\n address = \"http://from-file:8200\"\n ca_cert = \"/file/ca\"\n}\nauto_auth { method \"kubernetes\" { config = { role = \"r\" } } }\n"
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"VAULT_ADDR": "http://from-env:8200", "VAULT_CACERT": "/env/ca", "VAULT_SKIP_VERIFY": "true"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	opts, _, ok := parseFlags([]string{"-config=" + file, "-address=http://from-flag:8200", "-exit-after-auth"}, os.Stdout, os.Stderr)
	if !ok {
		t.Fatal("flags")
	}
	c, err := loadConfig(opts, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if c.Vault.Address != "http://from-flag:8200" || c.Vault.CACert != "/env/ca" || !c.Vault.TLSSkipVerify || !c.ExitAfterAuth {
		t.Errorf("got %+v exit=%v", c.Vault, c.ExitAfterAuth)
	}

	env["VAULT_CONFIG"] = base64.StdEncoding.EncodeToString([]byte(`{"auto_auth":{"method":{"type":"kubernetes","config":{"role":"from-env"}}}}`))
	opts, _, _ = parseFlags(nil, os.Stdout, os.Stderr)
	c, err = loadConfig(opts, lookup)
	if err != nil || c.AutoAuth.Method.Role != "from-env" || c.Vault.Address != "http://from-env:8200" {
		t.Fatalf("VAULT_CONFIG: %v %+v", err, c)
	}
	opts, _, _ = parseFlags([]string{"-config=" + file}, os.Stdout, os.Stderr)
	if c, err = loadConfig(opts, lookup); err != nil || c.AutoAuth.Method.Role != "r" {
		t.Fatalf("-config must win over VAULT_CONFIG: %v", err)
	}

	delete(env, "VAULT_CONFIG")
	opts, _, _ = parseFlags(nil, os.Stdout, os.Stderr)
	if _, err := loadConfig(opts, lookup); err == nil || !strings.Contains(err.Error(), "VAULT_CONFIG") {
		t.Fatalf("no config: %v", err)
	}
	env["VAULT_SKIP_VERIFY"] = "sure"
	opts, _, _ = parseFlags([]string{"-config=" + file}, os.Stdout, os.Stderr)
	if _, err := loadConfig(opts, lookup); err == nil || !strings.Contains(err.Error(), "VAULT_SKIP_VERIFY") {
		t.Fatalf("bad VAULT_SKIP_VERIFY: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := time.Second, 8*time.Second
	for n, ceiling := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 10: 8 * time.Second} {
		for range 50 {
			d := backoff(lo, hi, n)
			if d > ceiling || d < ceiling*3/4 {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, ceiling*3/4, ceiling)
			}
		}
	}
}

// A file is written whole with its mode from the start, and a failed
// write leaves the old file and no temporary behind.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	if err := writeFileAtomic(path, []byte("one"), 0o600, false); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(path, []byte("two"), 0o640, false); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if b, _ := os.ReadFile(path); string(b) != "two" || st.Mode().Perm() != 0o640 {
		t.Fatalf("%q %v", b, st.Mode())
	}
	if err := writeFileAtomic(filepath.Join(dir, "missing", "x"), []byte("x"), 0o600, false); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("%d entries left, want 1", len(entries))
	}
}

// The injector's JSON writes "" and false for settings it leaves unset.
func TestParseEmptyMeansUnset(t *testing.T) {
	c, err := Parse("a.json", []byte(`{"auto_auth":{"method":{"type":"kubernetes","mount_path":"","namespace":"","wrap_ttl":"","config":{"role":"r"}},
"sink":[{"type":"file","wrap_ttl":"","dh_type":"","config":{"path":"/s","mode":""}}]},
"template":[{"destination":"/d","contents":"x","perms":"","command":"","left_delimiter":"","right_delimiter":"","command_timeout":""}],
"template_config":{"static_secret_render_interval":"","exit_on_retry_failure":false},
"vault":{"address":"http://v:8200","ca_cert":"","tls_skip_verify":false}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate("a.json"); err != nil {
		t.Fatal(err)
	}
	tp := c.Templates[0]
	if tp.Perms != DefaultTemplatePerms || tp.Command != nil || tp.LeftDelimiter != "" || c.AutoAuth.Sinks[0].Mode != DefaultSinkMode ||
		c.TemplateConfig.StaticSecretRenderInterval != DefaultStaticSecretRenderInterval || c.AutoAuth.Method.MountPath != "auth/kubernetes" {
		t.Fatalf("%+v %+v %+v", tp, c.AutoAuth.Sinks[0], c.TemplateConfig)
	}
}
