package e2e

import (
	"context"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/vaulttest"
)

// TestAuditDevicesSurviveRestart: after a restart and unseal, API-enabled
// and config-declared devices are back with their options and salts, with
// no re-enable; a config-declared device cannot be disabled through the
// API; disabling an API device removes it and its salt, so that enabling
// one again at the same path gives different HMACs.
func TestAuditDevicesSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dir, logs := t.TempDir(), t.TempDir()
	apiLog, cfgLog := filepath.Join(logs, "api.log"), filepath.Join(logs, "cfg.log")
	s := vaulttest.Start(t, vaulttest.Options{Dir: dir, Audit: []*config.AuditDevice{
		{Type: "file", Path: "cfg/", Description: "from the config file", Options: map[string]string{"file_path": cfgLog}},
	}})
	err := s.Client.Sys().EnableAuditWithOptions("file", &api.EnableAuditOptions{
		Type: "file", Description: "compliance log",
		Options: map[string]string{"file_path": apiLog, "hmac_accessor": "false", "mode": "0640"},
	})
	must(t, err, "enable file/")
	const probe = "supersecret-from-vault"
	apiHash, cfgHash := auditHash(t, s.Client, "file", probe), auditHash(t, s.Client, "cfg", probe)
	if apiHash == cfgHash {
		t.Fatal("two devices share a salt")
	}
	before := auditPaths(t, s.Client)
	linesBefore := map[string][]auditLine{apiLog: readAuditLog(t, apiLog), cfgLog: readAuditLog(t, cfgLog)}

	s.Restart()
	s.Unseal(s.Shares...)
	c := s.Client

	t.Run("devices are back as they were", func(t *testing.T) {
		after := auditPaths(t, c)
		if len(after) != 2 || after["file/"] == nil || after["cfg/"] == nil {
			t.Fatalf("after restart: %v", after)
		}
		for path, a := range before {
			b := after[path]
			if a.Type != b.Type || a.Description != b.Description || !maps.Equal(a.Options, b.Options) {
				t.Errorf("%s before %+v, after %+v", path, a, b)
			}
		}
		if got := after["file/"].Options["hmac_accessor"]; got != "false" {
			t.Errorf("file/ options after restart: %v", after["file/"].Options)
		}
		info, err := os.Stat(apiLog)
		must(t, err, "stat api.log")
		if info.Mode().Perm() != 0o640 {
			t.Errorf("api.log mode %v after restart, want the 0640 it was enabled with", info.Mode().Perm())
		}
	})
	t.Run("salts are kept", func(t *testing.T) {
		if got := auditHash(t, c, "file", probe); got != apiHash {
			t.Errorf("file/ HMAC changed across the restart: %s, was %s", got, apiHash)
		}
		if got := auditHash(t, c, "cfg", probe); got != cfgHash {
			t.Errorf("cfg/ HMAC changed across the restart: %s, was %s", got, cfgHash)
		}
	})
	t.Run("both log again, appending", func(t *testing.T) {
		_, err := c.KVv2("secret").Put(ctx, "after-restart", map[string]any{"k": probe})
		must(t, err, "kv put after restart")
		for _, p := range []string{apiLog, cfgLog} {
			lines := readAuditLog(t, p)
			put := onePair(t, lines, "secret/data/after-restart", "create")
			data, _ := put.req.entry.Request.Data["data"].(map[string]any)
			if p == apiLog && data["k"] != apiHash || p == cfgLog && data["k"] != cfgHash {
				t.Errorf("%s: the value is not HMAC'd with the kept salt: %v", p, data["k"])
			}
			old := linesBefore[p]
			if len(old) == 0 || len(lines) < len(old) || lines[len(old)-1].raw != old[len(old)-1].raw {
				t.Errorf("%s: the entries written before the restart are gone", p)
			}
		}
		// hmac_accessor=false survived: the accessor is in plain text.
		put := onePair(t, readAuditLog(t, apiLog), "secret/data/after-restart", "create")
		self, err := c.Auth().Token().LookupSelf()
		must(t, err, "lookup-self")
		if put.req.entry.Request.ClientTokenAccessor != self.Data["accessor"] {
			t.Errorf("hmac_accessor=false was lost: accessor %q", put.req.entry.Request.ClientTokenAccessor)
		}
	})
	t.Run("a config-declared device cannot be disabled", func(t *testing.T) {
		wantStatus(t, c.Sys().DisableAudit("cfg"), http.StatusBadRequest, "disable cfg/")
		if auditPaths(t, c)["cfg/"] == nil {
			t.Fatal("cfg/ was disabled")
		}
	})
	t.Run("disable removes the device and its salt", func(t *testing.T) {
		if salts := storedSalts(t, s, dir); !slices.Equal(salts, []string{"cfg/", "file/"}) {
			t.Fatalf("salts before disable: %v", salts)
		}
		c = s.Client
		must(t, c.Sys().DisableAudit("file"), "disable file/")
		if devs := auditPaths(t, c); devs["file/"] != nil || len(devs) != 1 {
			t.Fatalf("after disable: %v", devs)
		}
		if _, err := c.Sys().AuditHash("file", probe); err == nil {
			t.Fatal("audit-hash answers for a disabled device")
		}
		salts := storedSalts(t, s, dir) // restarts the server
		c = s.Client
		if !slices.Equal(salts, []string{"cfg/"}) {
			t.Fatalf("salts after disable: %v", salts)
		}
		if devs := auditPaths(t, c); devs["file/"] != nil {
			t.Fatalf("the disabled device came back after a restart: %v", devs)
		}
		enableFileAudit(t, c, "file", apiLog, nil)
		if got := auditHash(t, c, "file", probe); got == apiHash {
			t.Fatal("re-enabled at the same path, the device reuses the old salt")
		}
	})
}

// TestAuditUnsealWithBrokenDevice: a device that cannot be opened at unseal
// is left out, as in Vault, so it does not lock the operator out; it stays
// listed and can be disabled. When no device at all can be opened, the
// unseal is refused rather than serving requests unaudited.
func TestAuditUnsealWithBrokenDevice(t *testing.T) {
	dir, logs := t.TempDir(), t.TempDir()
	s := vaulttest.Start(t, vaulttest.Options{Dir: dir})
	aDir, bDir := filepath.Join(logs, "a"), filepath.Join(logs, "b")
	enableFileAudit(t, s.Client, "a", filepath.Join(aDir, "audit.log"), nil)
	enableFileAudit(t, s.Client, "b", filepath.Join(bDir, "audit.log"), nil)
	// breakDir replaces a device's directory by a plain file, so that its
	// log can be neither opened nor created, root or not.
	breakDir := func(d string) {
		must(t, os.RemoveAll(d), "remove log directory")
		must(t, os.WriteFile(d, nil, 0o600), "put a file in its place")
	}

	s.Stop()
	breakDir(aDir)
	s.Restart()
	s.Unseal(s.Shares...)
	if devs := auditPaths(t, s.Client); devs["a/"] == nil || devs["b/"] == nil {
		t.Fatalf("after unseal with a/ broken: %v", devs)
	}
	_, err := s.Client.KVv2("secret").Put(context.Background(), "x", map[string]any{"k": "v"})
	must(t, err, "kv put with one device left")
	onePair(t, readAuditLog(t, filepath.Join(bDir, "audit.log")), "secret/data/x", "create")

	s.Stop()
	breakDir(bDir)
	s.Restart()
	if _, err := s.Client.Sys().Unseal(s.Shares[0]); err == nil {
		t.Fatal("unsealed with no audit device able to open")
	}
	if st, err := s.Client.Sys().SealStatus(); err != nil || !st.Sealed {
		t.Fatalf("seal status after the refused unseal: %+v %v", st, err)
	}

	must(t, os.Remove(bDir), "repair b/")
	s.Unseal(s.Shares...)
	must(t, s.Client.Sys().DisableAudit("a"), "disable the broken a/")
	if devs := auditPaths(t, s.Client); devs["a/"] != nil || devs["b/"] == nil {
		t.Fatalf("after disabling a/: %v", devs)
	}
}

// TestAuditConfigDeviceMayNotShadowAPIDevice: a device declared in the
// config at the path of an API-enabled one is refused at unseal, as in
// OpenBao, rather than silently replacing it.
func TestAuditConfigDeviceMayNotShadowAPIDevice(t *testing.T) {
	dir, logs := t.TempDir(), t.TempDir()
	s := vaulttest.Start(t, vaulttest.Options{Dir: dir})
	enableFileAudit(t, s.Client, "file", filepath.Join(logs, "api.log"), nil)
	s.Stop()

	for _, path := range []string{"file/", "file/sub/"} {
		other := vaulttest.Start(t, vaulttest.Options{Dir: dir, NoInit: true, Audit: []*config.AuditDevice{
			{Type: "file", Path: path, Options: map[string]string{"file_path": filepath.Join(logs, "cfg.log")}},
		}})
		_, err := other.Client.Sys().Unseal(s.Shares[0])
		wantStatus(t, err, http.StatusInternalServerError, "unseal with "+path+" declared over the API device")
		if !strings.Contains(err.Error(), "enabled through the API") {
			t.Errorf("the refusal does not say why: %v", err)
		}
		if st, err := other.Client.Sys().SealStatus(); err != nil || !st.Sealed {
			t.Fatalf("seal status: %+v %v", st, err)
		}
		other.Stop()
	}
	if _, err := os.Stat(filepath.Join(logs, "cfg.log")); !os.IsNotExist(err) {
		t.Fatalf("the refused config device opened its file: %v", err)
	}
	// Without the clash, the server unseals with its device as before.
	s.Restart()
	s.Unseal(s.Shares...)
	if devs := auditPaths(t, s.Client); len(devs) != 1 || devs["file/"] == nil {
		t.Fatalf("devices: %v", devs)
	}
}

// TestAuditEndpointsNeedSudo: sys/audit and sys/audit/<path> are
// root-protected, as in Vault; sys/audit-hash is not.
func TestAuditEndpointsNeedSudo(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	logs := t.TempDir()
	enableFileAudit(t, s.Client, "file", filepath.Join(logs, "audit.log"), nil)
	all := `["create", "read", "update", "delete", "list"`
	must(t, s.Client.Sys().PutPolicy("audit-admin", `
path "sys/audit" { capabilities = `+all+`] }
path "sys/audit/*" { capabilities = `+all+`] }
path "sys/audit-hash/*" { capabilities = ["update"] }`), "policy without sudo")
	must(t, s.Client.Sys().PutPolicy("audit-sudo", `
path "sys/audit" { capabilities = `+all+`, "sudo"] }
path "sys/audit/*" { capabilities = `+all+`, "sudo"] }`), "policy with sudo")
	newToken := func(policies ...string) *api.Client {
		sec, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{Policies: policies})
		must(t, err, "token create")
		return s.NewClient(sec.Auth.ClientToken)
	}
	plain, sudo := newToken("audit-admin"), newToken("audit-admin", "audit-sudo")
	newLog := filepath.Join(logs, "new.log")
	enableBody := map[string]any{"type": "file", "options": map[string]any{"file_path": newLog}}

	tests := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "sys/audit", nil},
		{http.MethodPut, "sys/audit/new", enableBody},
		{http.MethodDelete, "sys/audit/file", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			status, body := raw(t, plain, tt.method, tt.path, tt.body)
			if status != http.StatusForbidden {
				t.Fatalf("without sudo: HTTP %d %v", status, body)
			}
			devs := auditPaths(t, s.Client)
			if len(devs) != 1 || devs["file/"] == nil {
				t.Fatalf("a refused call changed the devices: %v", devs)
			}
			if _, err := os.Stat(newLog); !os.IsNotExist(err) {
				t.Fatalf("a refused enable created the log: %v", err)
			}
		})
	}
	if _, err := plain.Sys().AuditHash("file", "x"); err != nil {
		t.Fatalf("audit-hash without sudo (Vault allows it): %v", err)
	}
	for _, tt := range tests {
		status, body := raw(t, sudo, tt.method, tt.path, tt.body)
		if status >= 300 {
			t.Fatalf("%s %s with sudo: HTTP %d %v", tt.method, tt.path, status, body)
		}
	}
	if devs := auditPaths(t, s.Client); len(devs) != 1 || devs["new/"] == nil {
		t.Fatalf("after enable and disable with sudo: %v", devs)
	}
}

// TestAuditReopenAfterRotate is what SIGHUP does: logrotate renames the
// file, Core.ReopenAudit opens a new one at the path, and entries go there.
func TestAuditReopenAfterRotate(t *testing.T) {
	ctx := context.Background()
	s := vaulttest.Start(t, vaulttest.Options{})
	logPath := filepath.Join(t.TempDir(), "audit.log")
	enableFileAudit(t, s.Client, "file", logPath, nil)
	kv := s.Client.KVv2("secret")
	_, err := kv.Put(ctx, "rotate", map[string]any{"k": "v"})
	must(t, err, "kv put")

	must(t, os.Rename(logPath, logPath+".1"), "rotate")
	// Until the reopen, the open file (now .1) still gets the entries.
	_, err = kv.Get(ctx, "rotate")
	must(t, err, "kv get before reopen")
	if _, err := os.Stat(logPath); !os.IsNotExist(err) {
		t.Fatalf("the log reappeared before the reopen: %v", err)
	}
	must(t, s.Node.Core.ReopenAudit(ctx), "reopen")
	err = kv.Delete(ctx, "rotate")
	must(t, err, "kv delete after reopen")

	old, cur := readAuditLog(t, logPath+".1"), readAuditLog(t, logPath)
	onePair(t, old, "secret/data/rotate", "create")
	onePair(t, old, "secret/data/rotate", "read")
	onePair(t, cur, "secret/data/rotate", "delete")
	if len(cur) != 2 {
		t.Fatalf("the new file has %d lines, want the delete's 2", len(cur))
	}
	if n := len(pairsFor(t, old, "secret/data/rotate", "delete")); n != 0 {
		t.Fatal("the rotated file got an entry after the reopen")
	}
	info, err := os.Stat(logPath)
	must(t, err, "stat new log")
	if info.Mode().Perm() != 0o600 {
		t.Errorf("new log mode %v, want 0600", info.Mode().Perm())
	}
}
