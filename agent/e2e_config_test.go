package agent_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// injectorConfig is the JSON the Vault Agent injector (hashicorp/vault-k8s)
// writes for an init container, for pod p against addr.
func (p *pod) injectorConfig(addr string) []byte {
	cfg := map[string]any{
		"auto_auth": map[string]any{
			"method": map[string]any{
				"type":       "kubernetes",
				"mount_path": "auth/kubernetes",
				"config":     map[string]any{"role": "my-api-role", "token_path": p.jwtFile},
			},
			"sink": []any{map[string]any{"type": "file", "config": map[string]any{"path": p.sink()}}},
		},
		"exit_after_auth": true,
		"pid_file":        p.dir + "/.pid",
		"vault":           map[string]any{"address": addr},
		"template": []any{map[string]any{
			"destination":     p.dest(),
			"contents":        walkthroughTemplate,
			"left_delimiter":  "{{",
			"right_delimiter": "}}",
			"perms":           "0640",
		}},
		"template_config": map[string]any{"exit_on_retry_failure": true, "static_secret_render_interval": "5m"},
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		panic(err)
	}
	return b
}

// TestAgentHCLAndJSONAgree: the same agent config as HCL (-config), as
// the injector's JSON in a file, and as that JSON base64-encoded in
// VAULT_CONFIG with no -config (the image has no shell) renders the same
// file with the same mode.
func TestAgentHCLAndJSONAgree(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	base := setupWalkthrough(t, s.Client, "1h", "")
	type result struct{ content, mode string }
	run := func(name string, configure func(p *pod) (env []string, args []string)) result {
		t.Helper()
		p := &pod{namespace: base.namespace, jwtFile: base.jwtFile, dir: t.TempDir()}
		must(t, os.MkdirAll(p.dir+"/home", 0o700), "home")
		env, args := configure(p)
		code, a := runInit(t, env, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d:\n%s", name, code, a.Out)
		}
		if _, err := os.Stat(p.dir + "/.pid"); name != "hcl" && !os.IsNotExist(err) {
			t.Fatalf("%s: pid file left behind (%v)", name, err)
		}
		return result{readFile(t, p.dest()), modeOf(t, p.dest()).String()}
	}
	hcl := run("hcl", func(p *pod) ([]string, []string) {
		return nil, []string{"-config=" + p.writeConfig(t, "agent.hcl", p.issueConfig(s.Addr, "exit_after_auth = true"))}
	})
	file := run("json file", func(p *pod) ([]string, []string) {
		return nil, []string{"-config=" + p.writeConfig(t, "agent.json", string(p.injectorConfig(s.Addr)))}
	})
	env := run("VAULT_CONFIG", func(p *pod) ([]string, []string) {
		return agentEnv(t, "VAULT_CONFIG="+base64.StdEncoding.EncodeToString(p.injectorConfig(s.Addr))), nil
	})
	plain := run("VAULT_CONFIG plain JSON", func(p *pod) ([]string, []string) {
		return agentEnv(t, "VAULT_CONFIG="+string(p.injectorConfig(s.Addr))), nil
	})
	if hcl.content != rendered("supersecret-from-vault") || hcl.mode != "-rw-r-----" {
		t.Fatalf("hcl: %+v", hcl)
	}
	for name, r := range map[string]result{"json file": file, "VAULT_CONFIG": env, "plain": plain} {
		if r != hcl {
			t.Errorf("%s gave %+v, HCL gave %+v", name, r, hcl)
		}
	}
}

// TestAgentBadInput: each bad input stops the agent with exit 1 and one
// clear line, and writes no rendered file.
func TestAgentBadInput(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	base := setupWalkthrough(t, s.Client, "1h", "")
	must(t, s.Client.Sys().PutPolicy("my-api-policy", `path "secret/data/*" { capabilities = ["read"] }`), "wider policy")
	swap := func(old, new string) func(string) string {
		return func(cfg string) string {
			if !strings.Contains(cfg, old) {
				panic("no " + old)
			}
			return strings.Replace(cfg, old, new, 1)
		}
	}
	cases := []struct {
		name   string
		edit   func(string) string
		want   []string // in the last line
		noSink bool     // the failure comes before any login
	}{
		{"unknown key", swap("exit_after_auth = true", "exit_after_auth = true\nunknown_thing = 1"),
			[]string{"agent.hcl:29:", `unknown key "unknown_thing"`}, true},
		{"unknown key in a block", swap(`role       = "my-api-role"`, `role = "my-api-role"
      rolee = "typo"`), []string{"agent.hcl:10:", `unknown key "rolee"`}, true},
		{"bad perms", swap(`perms       = "0640"`, `perms = "rw-r-----"`), []string{"agent.hcl:19:", "perms", "octal"}, true},
		{"template does not parse", swap(`{{ .Data.data.DB_PASSWORD }}`, `{{ .Data.data.DB_PASSWORD }`),
			[]string{"template", "config", "parse"}, true},
		{"missing key with error_on_missing_key", swap(`perms       = "0640"`, `perms = "0640"
  error_on_missing_key = true`+"\n"), nil, false},
		{"missing secret", swap(`secret "secret/data/my-api"`, `secret "secret/data/nope"`),
			[]string{"template: ", "secrets/config", "secret/data/nope"}, false},
		{"unreadable token file", swap(base.jwtFile, base.jwtFile+".missing"),
			[]string{"login with auth/kubernetes failed", "read service-account token", "no such file"}, true},
		{"token path is a directory", swap(base.jwtFile, base.dir),
			[]string{"login with auth/kubernetes failed", "read service-account token"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &pod{namespace: base.namespace, jwtFile: base.jwtFile, dir: t.TempDir()}
			text := tc.edit(p.issueConfig(s.Addr, "exit_after_auth = true"))
			if tc.name == "missing key with error_on_missing_key" {
				text = strings.Replace(text, ".Data.data.API_KEY", ".Data.data.NOPE", 1)
				tc.want = []string{"template: ", "secrets/config", "NOPE"}
			}
			cfg := p.writeConfig(t, "agent.hcl", text)
			code, a := runInit(t, nil, "-config="+cfg)
			if code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, a.Out)
			}
			line := lastLine(a.Out.String())
			t.Log(line)
			if !strings.HasPrefix(line, "Error: ") {
				t.Fatalf("last line %q is not the error", line)
			}
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("last line %q lacks %q", line, w)
				}
			}
			if _, err := os.Stat(p.dest()); !os.IsNotExist(err) {
				t.Fatalf("destination written (%v):\n%s", err, readFile(t, p.dest()))
			}
			if _, err := os.Stat(p.sink()); tc.noSink && !os.IsNotExist(err) {
				t.Fatalf("sink written before the failure (%v)", err)
			}
		})
	}
}
