package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/test/proc"
	"github.com/vaultd/vaultd/vaulttest"
)

// TestAgentRenewsThenLogsInAgain: a role with ttl=10s and max_ttl=30s.
// The agent renews its token (vaultd records the renewal), then, when the
// max TTL stops renewal, logs in again (the sink gets a new token); the
// file follows every change throughout (each one counted).
func TestAgentRenewsThenLogsInAgain(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	p := setupWalkthrough(t, s.Client, "10s", "30s")
	cfg := p.writeConfig(t, "agent.hcl", p.issueConfig(s.Addr, `template_config { static_secret_render_interval = "1s" }`))
	a := startAgent(t, nil, "-config="+cfg)
	eventually(t, time.Minute, "first render", fileHolds(p.dest(), rendered("supersecret-from-vault")))
	first := strings.TrimSpace(readFile(t, p.sink()))

	// Renewal: vaultd's own record of the first token shows one.
	eventually(t, time.Minute, "a renewal of the first token", func() bool {
		sec, err := s.Client.Auth().Token().Lookup(first)
		if err != nil || sec == nil {
			return false
		}
		n, ok := sec.Data["last_renewal_time"]
		return ok && fmt.Sprint(n) != "0" && n != nil
	})

	// Keep changing the secret until the agent has logged in again and
	// then rendered with the new token too.
	tokens := map[string]bool{first: true}
	renders := 0
	deadline := time.Now().Add(3 * time.Minute)
	for i := 0; len(tokens) < 2 || renders < 12; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("after %d renders saw %d tokens in the sink:\n%s", renders, len(tokens), a.Out)
		}
		pw := fmt.Sprintf("password-%d", i)
		putSecret(t, s.Client, pw)
		eventually(t, time.Minute, "render of "+pw, fileHolds(p.dest(), rendered(pw)))
		renders++
		if tok := strings.TrimSpace(readFile(t, p.sink())); tok != "" {
			tokens[tok] = true
		}
		time.Sleep(2 * time.Second)
	}
	out := a.Out.String()
	// The new login came from the max TTL, not from a failed renewal.
	if !strings.Contains(out, "renewed auth token") || !strings.Contains(out, "token can no longer be renewed, logging in again") ||
		strings.Contains(out, "renewal failed") {
		t.Fatalf("agent log lacks the renewal or the new login at the max TTL:\n%s", out)
	}
	t.Logf("%d renders across %d tokens", renders, len(tokens))
}

// vaultdChild is a vaultd server process on bbolt at a fixed address, so
// that it can be stopped and started again where the agent expects it.
type vaultdChild struct {
	t      *testing.T
	addr   string
	config string
	proc   *proc.Proc
	root   string
	key    string
	caFile string // set when the listener serves TLS
}

// startVaultdChild starts, initialises and unseals a vaultd; with a
// certificate and key it serves TLS, caFile being what verifies it.
func startVaultdChild(t *testing.T, tlsFiles ...string) *vaultdChild {
	t.Helper()
	dir := t.TempDir()
	v := &vaultdChild{t: t, addr: proc.FreeAddr(t), config: filepath.Join(dir, "server.hcl")}
	tlsLines := "  tls_disable = true"
	if len(tlsFiles) == 2 {
		v.caFile = tlsFiles[0]
		tlsLines = fmt.Sprintf("  tls_cert_file = %q\n  tls_key_file  = %q", tlsFiles[0], tlsFiles[1])
	}
	text := fmt.Sprintf(`storage "bbolt" { path = %q }
listener "tcp" {
  address     = %q
%s
}
disable_mlock = true
`, filepath.Join(dir, "data"), v.addr, tlsLines)
	must(t, os.WriteFile(v.config, []byte(text), 0o600), "server config")
	v.start()
	c := v.client()
	init, err := c.Sys().Init(&api.InitRequest{SecretShares: 1, SecretThreshold: 1})
	must(t, err, "init")
	v.root, v.key = init.RootToken, init.KeysB64[0]
	v.unseal()
	c.SetToken(v.root)
	must(t, c.Sys().Mount("secret", &api.MountInput{Type: "kv", Options: map[string]string{"version": "2"}}), "mount secret/")
	return v
}

func (v *vaultdChild) url() string {
	if v.caFile != "" {
		return "https://" + v.addr
	}
	return "http://" + v.addr
}

func (v *vaultdChild) client() *api.Client {
	v.t.Helper()
	if v.caFile == "" {
		return vaulttest.NewClient(v.t, v.url(), v.root)
	}
	cfg := api.DefaultConfig()
	cfg.Address, cfg.MaxRetries = v.url(), 0
	must(v.t, cfg.ConfigureTLS(&api.TLSConfig{CACert: v.caFile}), "client TLS")
	c, err := api.NewClient(cfg)
	must(v.t, err, "client")
	c.SetToken(v.root)
	return c
}

func (v *vaultdChild) start() {
	v.t.Helper()
	v.proc = proc.Start(v.t, vaultd.Path(v.t), proc.Options{}, "server", "-config="+v.config)
	if v.caFile == "" {
		proc.WaitHealthy(v.t, v.url(), 30*time.Second)
		return
	}
	c := v.client()
	eventually(v.t, 30*time.Second, "vaultd answers over TLS", func() bool {
		_, err := c.Sys().SealStatus()
		return err == nil
	})
}

func (v *vaultdChild) unseal() {
	v.t.Helper()
	st, err := v.client().Sys().Unseal(v.key)
	must(v.t, err, "unseal")
	if st.Sealed {
		v.t.Fatal("still sealed")
	}
}

// TestAgentSurvivesVaultdOutage: vaultd stops; the file keeps its last
// content while the agent retries; vaultd returns and the agent picks up
// a change made after.
func TestAgentSurvivesVaultdOutage(t *testing.T) {
	v := startVaultdChild(t)
	root := v.client()
	p := setupWalkthrough(t, root, "1h", "")
	cfg := p.writeConfig(t, "agent.hcl", p.issueConfig(v.url(), `template_config { static_secret_render_interval = "1s" }`))
	a := startAgent(t, nil, "-config="+cfg)
	want := rendered("supersecret-from-vault")
	eventually(t, time.Minute, "first render", fileHolds(p.dest(), want))

	v.proc.Stop(t, 30*time.Second)
	// The agent notices: its reads fail and are retried.
	eventually(t, time.Minute, "the agent reports the failed reads", func() bool {
		return a.Out.Contains("connection refused")
	})
	before := len(a.Out.String())
	eventually(t, time.Minute, "more failed attempts", func() bool {
		return strings.Count(a.Out.String()[before:], "connection refused") >= 3
	})
	if got := readFile(t, p.dest()); got != want {
		t.Fatalf("during the outage the file holds:\n%q", got)
	}
	if a.Exited() {
		t.Fatalf("agent exited during the outage:\n%s", a.Out)
	}

	v.start()
	v.unseal()
	putSecret(t, root, "after-the-outage")
	eventually(t, 2*time.Minute, "the change after vaultd returned", fileHolds(p.dest(), rendered("after-the-outage")))
}

// TestAgentDeletedRole: with the role gone, a running agent cannot renew
// or log in again but keeps the file; an init-mode agent exits non-zero
// with one line naming the login that failed, and writes nothing.
func TestAgentDeletedRole(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	p := setupWalkthrough(t, s.Client, "10s", "")
	cfg := p.writeConfig(t, "agent.hcl", p.issueConfig(s.Addr, `template_config { static_secret_render_interval = "1s" }`))
	a := startAgent(t, nil, "-config="+cfg)
	want := rendered("supersecret-from-vault")
	eventually(t, time.Minute, "first render", fileHolds(p.dest(), want))

	_, err := s.Client.Logical().Delete("auth/kubernetes/role/my-api-role")
	must(t, err, "delete role")
	eventually(t, time.Minute, "a failed login", func() bool { return a.Out.Contains("login failed, will retry") })
	before := len(a.Out.String())
	eventually(t, time.Minute, "more failed logins", func() bool {
		return strings.Count(a.Out.String()[before:], "login failed, will retry") >= 2
	})
	if got := readFile(t, p.dest()); got != want {
		t.Fatalf("file after the role was deleted:\n%q", got)
	}
	if a.Exited() {
		t.Fatalf("running agent exited:\n%s", a.Out)
	}

	// The init container with the same config and a fresh directory.
	q := &pod{namespace: p.namespace, jwtFile: p.jwtFile, dir: t.TempDir()}
	initCfg := q.writeConfig(t, "agent.hcl", q.issueConfig(s.Addr, "exit_after_auth = true"))
	code, b := runInit(t, nil, "-config="+initCfg)
	if code == 0 {
		t.Fatalf("init agent exited 0 without the role:\n%s", b.Out)
	}
	line := lastLine(b.Out.String())
	if !strings.HasPrefix(line, "Error: auto_auth: login with auth/kubernetes failed:") || !strings.Contains(line, "role") {
		t.Fatalf("last line %q does not name the failed login", line)
	}
	for _, path := range []string{q.dest(), q.sink()} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("%s exists after a failed login (%v)", path, err)
		}
	}
}

// TestAgentRevokedTokenLogsInAgain: the agent's token is revoked; its next
// renewal fails, it logs in again, and rendering goes on with the new one.
func TestAgentRevokedTokenLogsInAgain(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	p := setupWalkthrough(t, s.Client, "10s", "")
	cfg := p.writeConfig(t, "agent.hcl", p.issueConfig(s.Addr, `template_config { static_secret_render_interval = "1s" }`))
	a := startAgent(t, nil, "-config="+cfg)
	eventually(t, time.Minute, "first render", fileHolds(p.dest(), rendered("supersecret-from-vault")))
	first := strings.TrimSpace(readFile(t, p.sink()))
	must(t, s.Client.Auth().Token().RevokeTree(first), "revoke the agent's token")
	eventually(t, time.Minute, "a new token in the sink", func() bool {
		b, err := os.ReadFile(p.sink())
		return err == nil && strings.TrimSpace(string(b)) != first && len(b) > 0
	})
	putSecret(t, s.Client, "after-the-revocation")
	eventually(t, time.Minute, "render with the new token", fileHolds(p.dest(), rendered("after-the-revocation")))
	if !a.Out.Contains("logging in again") {
		t.Fatalf("no new login in the log:\n%s", a.Out)
	}
}
