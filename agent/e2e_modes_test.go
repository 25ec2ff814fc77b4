package agent_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/test/proc"
	"github.com/vaultd/vaultd/vaulttest"
)

// TestAgentInitRendersWalkthrough is the init container: the issue's
// config, a TokenRequest-minted token as token_path; the agent logs in,
// writes the token sink and the walkthrough's file with mode 0640, and
// exits 0.
func TestAgentInitRendersWalkthrough(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	p := setupWalkthrough(t, s.Client, "1h", "")
	cfg := p.writeConfig(t, "agent.hcl", p.issueConfig(s.Addr, "exit_after_auth = true"))

	code, a := runInit(t, nil, "-config="+cfg)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, a.Out)
	}
	if got := readFile(t, p.dest()); got != rendered("supersecret-from-vault") {
		t.Fatalf("rendered:\n%s", got)
	}
	if m := modeOf(t, p.dest()); m != 0o640 {
		t.Fatalf("destination mode %o, want 640", m)
	}
	// The sink holds a working token of the role, with the default mode.
	token := strings.TrimSpace(readFile(t, p.sink()))
	if m := modeOf(t, p.sink()); m != 0o640 {
		t.Fatalf("sink mode %o, want 640", m)
	}
	self, err := s.NewClient(token).Auth().Token().LookupSelf()
	must(t, err, "the sink's token works")
	if self.Data["path"] != "auth/kubernetes/login" {
		t.Fatalf("sink token from %v", self.Data["path"])
	}
	// Nothing secret in the output.
	if out := a.Out.String(); strings.Contains(out, token) || strings.Contains(out, "supersecret-from-vault") {
		t.Fatalf("agent output leaks the token or a rendered value:\n%s", out)
	}
	// No temporary files left next to the destination.
	entries, err := os.ReadDir(filepath.Dir(p.dest()))
	must(t, err, "read secrets dir")
	if len(entries) != 1 {
		t.Fatalf("secrets dir holds %d entries, want only the rendered file", len(entries))
	}
}

// TestAgentRunningRefreshesOncePerChange is the sidecar: a kv put reaches
// the file within static_secret_render_interval; the template's command
// runs once per change, not once per read, while the audit log shows the
// agent read the secret many times.
func TestAgentRunningRefreshesOncePerChange(t *testing.T) {
	s, auditLog := auditedServer(t)
	p := setupWalkthrough(t, s.Client, "1h", "")
	cmdLog := filepath.Join(p.dir, "command.log")
	text := strings.Replace(p.issueConfig(s.Addr, `template_config { static_secret_render_interval = "1s" }`),
		`perms       = "0640"`, `perms = "0640"
  command = ["sh", "-c", "echo rendered >> `+cmdLog+`"]`, 1)
	cfg := p.writeConfig(t, "agent.hcl", text)
	a := startAgent(t, nil, "-config="+cfg)

	eventually(t, time.Minute, "first render", fileHolds(p.dest(), rendered("supersecret-from-vault")))
	eventually(t, time.Minute, "the command after the first render", fileHolds(cmdLog, "rendered\n"))

	for i, pw := range []string{"rotated-password-v2", "rotated-password-v3"} {
		putSecret(t, s.Client, pw)
		eventually(t, time.Minute, "the new value "+pw, fileHolds(p.dest(), rendered(pw)))
		// Let the agent read the unchanged secret several more times.
		reads := auditedReads(t, auditLog, "secret/data/my-api")
		eventually(t, time.Minute, "more reads of the unchanged secret", func() bool {
			return auditedReads(t, auditLog, "secret/data/my-api") >= reads+4
		})
		want := strings.Repeat("rendered\n", i+2)
		if got := readFile(t, cmdLog); got != want {
			t.Fatalf("after change %d the command ran %d times, want %d", i+1, strings.Count(got, "\n"), i+2)
		}
	}
	if m := modeOf(t, p.dest()); m != 0o640 {
		t.Fatalf("mode after re-render %o", m)
	}
	if a.Exited() {
		t.Fatalf("agent exited:\n%s", a.Out)
	}
}

// TestAgentListeners: the readiness probe answers 503 until every template
// has rendered and 200 after; a listener with api_proxy forwards an app's
// request with the agent's token, one without serves only the probe.
func TestAgentListeners(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	p := setupWalkthrough(t, s.Client, "1h", "")
	// The secret is not there yet: the template cannot render.
	_, err := s.Client.Logical().Delete("secret/metadata/my-api")
	must(t, err, "delete the secret")
	probe, proxied := proc.FreeAddr(t), proc.FreeAddr(t)
	extra := `template_config { static_secret_render_interval = "1s" }
listener "tcp" {
  address     = "` + probe + `"
  tls_disable = true
}
listener "tcp" {
  address     = "` + proxied + `"
  tls_disable = true
  api_proxy { use_auto_auth_token = true }
}`
	cfg := p.writeConfig(t, "agent.hcl", p.issueConfig(s.Addr, extra))
	startAgent(t, nil, "-config="+cfg)

	status := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	eventually(t, time.Minute, "the probe answers", func() bool { return status("http://"+probe+"/agent/v1/ready") != 0 })
	// Wait until the agent has logged in (its token shows up in the sink)
	// so that 503 means "not rendered", not "not started".
	eventually(t, time.Minute, "login", func() bool { _, err := os.Stat(p.sink()); return err == nil })
	for _, addr := range []string{probe, proxied} {
		if got := status("http://" + addr + "/agent/v1/ready"); got != http.StatusServiceUnavailable {
			t.Fatalf("ready on %s before any render: %d, want 503", addr, got)
		}
	}
	putSecret(t, s.Client, "supersecret-from-vault")
	eventually(t, time.Minute, "render", fileHolds(p.dest(), rendered("supersecret-from-vault")))
	eventually(t, time.Minute, "ready 200", func() bool { return status("http://"+probe+"/agent/v1/ready") == http.StatusOK })
	if got := status("http://" + proxied + "/agent/v1/ready"); got != http.StatusOK {
		t.Fatalf("ready on the proxy listener: %d", got)
	}

	// The app calls the agent without a token.
	app := vaulttest.NewClient(t, "http://"+proxied, "")
	app.ClearToken()
	sec, err := app.KVv2("secret").Get(context.Background(), "my-api")
	must(t, err, "read through the API proxy")
	if sec.Data["DB_PASSWORD"] != "supersecret-from-vault" {
		t.Fatalf("proxied read: %v", sec.Data)
	}
	// The agent's token is the role's: it cannot read anything else.
	if _, err := app.Logical().Read("sys/mounts"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("proxied sys/mounts: %v, want permission denied", err)
	}
	// The probe-only listener does not proxy.
	if got := status("http://" + probe + "/v1/secret/data/my-api"); got != http.StatusNotFound {
		t.Fatalf("probe listener /v1/: %d, want 404", got)
	}
}

// TestAgentTokenFileAndEnv: the token_file method with a config that has
// no vault block; VAULT_ADDR in the environment says where vaultd is.
// SIGHUP does not stop the agent; SIGTERM stops it cleanly and removes
// its pid file.
func TestAgentTokenFileAndEnv(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	putSecret(t, s.Client, "from-a-token-file")
	must(t, s.Client.Sys().PutPolicy("my-api-policy", walkthroughPolicy), "policy")
	tok, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"my-api-policy"}, TTL: "1h"})
	must(t, err, "token create")
	dir := t.TempDir()
	p := &pod{dir: dir}
	tokenFile, pidFile := filepath.Join(dir, "token"), filepath.Join(dir, "agent.pid")
	must(t, os.WriteFile(tokenFile, []byte(tok.Auth.ClientToken+"\n"), 0o600), "token file")
	cfg := p.writeConfig(t, "agent.hcl", `pid_file = "`+pidFile+`"
auto_auth {
  method "token_file" {
    config = { token_file_path = "`+tokenFile+`" }
  }
}
template {
  destination = "`+p.dest()+`"
  contents    = <<EOT
`+walkthroughTemplate+`EOT
}
`)
	a := startAgent(t, agentEnv(t, "VAULT_ADDR="+s.Addr), "-config="+cfg)
	eventually(t, time.Minute, "render", fileHolds(p.dest(), rendered("from-a-token-file")))
	if m := modeOf(t, p.dest()); m != 0o644 {
		t.Fatalf("default perms %o, want 644", m)
	}
	if got := strings.TrimSpace(readFile(t, pidFile)); got != strconv.Itoa(a.Pid()) {
		t.Fatalf("pid file %q, agent pid %d", got, a.Pid())
	}
	a.Signal(t, syscall.SIGHUP)
	eventually(t, time.Minute, "SIGHUP logged", func() bool { return a.Out.Contains("SIGHUP") })
	if a.Exited() {
		t.Fatalf("SIGHUP stopped the agent:\n%s", a.Out)
	}
	a.Stop(t, 30*time.Second)
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Fatalf("pid file left after SIGTERM (%v)", err)
	}
	if strings.Contains(a.Out.String(), tok.Auth.ClientToken) {
		t.Fatal("the agent logged its token")
	}
}

// TestAgentLeaseDrivenRefresh: a KV version 1 secret with its own ttl is
// answered with that lease duration; the agent reads it again on the
// lease (at about 90% of it), not on static_secret_render_interval,
// which is an hour here.
func TestAgentLeaseDrivenRefresh(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	must(t, s.Client.Sys().Mount("kv1", &api.MountInput{Type: "kv", Options: map[string]string{"version": "1"}}), "mount kv1")
	write := func(v string) {
		_, err := s.Client.Logical().Write("kv1/app", map[string]any{"password": v, "ttl": "3s"})
		must(t, err, "write kv1")
	}
	write("one")
	sec, err := s.Client.Logical().Read("kv1/app")
	must(t, err, "read kv1")
	if sec.LeaseDuration != 3 {
		t.Fatalf("kv1 lease_duration %d, want 3", sec.LeaseDuration)
	}
	must(t, s.Client.Sys().PutPolicy("kv1-read", `path "kv1/*" { capabilities = ["read"] }`), "policy")
	tok, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"kv1-read"}, TTL: "1h"})
	must(t, err, "token")
	p := &pod{dir: t.TempDir()}
	tokenFile := filepath.Join(p.dir, "token")
	must(t, os.WriteFile(tokenFile, []byte(tok.Auth.ClientToken), 0o600), "token file")
	cfg := p.writeConfig(t, "agent.hcl", `vault { address = "`+s.Addr+`" }
auto_auth {
  method "token_file" {
    config = { token_file_path = "`+tokenFile+`" }
  }
}
template_config { static_secret_render_interval = "1h" }
template {
  destination = "`+p.dest()+`"
  contents    = "{{ with secret \"kv1/app\" }}{{ .Data.password }}{{ end }}"
}
`)
	startAgent(t, nil, "-config="+cfg)
	eventually(t, time.Minute, "first render", fileHolds(p.dest(), "one"))
	write("two")
	eventually(t, time.Minute, "re-read on the secret's lease", fileHolds(p.dest(), "two"))
}
