package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/vaulttest"
)

// TestAuditFileDeviceCannotPlantPrograms: the CVE-2025-6000 rules. A
// caller with sudo on sys/audit may not enable a file device with an
// executable mode, with a prefix (unless the server config allows it), on
// a file another device already writes, and enabling a device never makes
// an existing file more permissive. Every refusal is a 400 that leaves no
// device and no file behind.
func TestAuditFileDeviceCannotPlantPrograms(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	logs := t.TempDir()
	used := filepath.Join(logs, "used.log")
	enableFileAudit(t, s.Client, "first", used, nil)

	file := func(opts map[string]any) map[string]any {
		return map[string]any{"type": "file", "options": opts}
	}
	target := filepath.Join(logs, "cron.d", "x")
	link := filepath.Join(t.TempDir(), "link.log")
	must(t, os.Symlink(used, link), "symlink")
	linkedDir := filepath.Join(t.TempDir(), "logs")
	must(t, os.Symlink(logs, linkedDir), "symlink dir")
	tests := []struct {
		name    string
		body    map[string]any
		wantMsg string
	}{
		{"mode 0755", file(map[string]any{"file_path": target, "mode": "0755"}), "file mode may not be executable"},
		{"mode 0700", file(map[string]any{"file_path": target, "mode": "0700"}), "file mode may not be executable"},
		{"mode 0610 (group execute)", file(map[string]any{"file_path": target, "mode": "0610"}), "file mode may not be executable"},
		{"mode 0601 (other execute)", file(map[string]any{"file_path": target, "mode": "0601"}), "file mode may not be executable"},
		{"prefix with shell commands", file(map[string]any{"file_path": target, "prefix": "* * * * * root sh -c 'id'\n"}), "audit log prefixing is not allowed"},
		{"file of another device", file(map[string]any{"file_path": used}), "already used by the audit device"},
		{"file of another device, other spelling", file(map[string]any{"file_path": filepath.Join(logs, "sub", "..", "used.log")}), "already used by the audit device"},
		{"file of another device, through a link", file(map[string]any{"file_path": link}), "already used by the audit device"},
		{"file of another device, through a linked directory", file(map[string]any{"file_path": filepath.Join(linkedDir, "used.log")}), "already used by the audit device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := raw(t, s.Client, http.MethodPut, "sys/audit/bad", tt.body)
			if status != http.StatusBadRequest {
				t.Fatalf("HTTP %d %v, want 400", status, body)
			}
			errs, _ := body["errors"].([]any)
			if len(errs) == 0 || !strings.Contains(errs[0].(string), tt.wantMsg) {
				t.Fatalf("errors %v, want one containing %q", body["errors"], tt.wantMsg)
			}
			if _, ok := auditPaths(t, s.Client)["bad/"]; ok {
				t.Fatal("the refused device was enabled")
			}
			if _, err := os.Stat(target); !os.IsNotExist(err) {
				t.Fatalf("the refused device left %s behind (%v)", target, err)
			}
		})
	}

	t.Run("existing file is not loosened", func(t *testing.T) {
		existing := filepath.Join(logs, "existing.log")
		must(t, os.WriteFile(existing, nil, 0o600), "write existing file")
		enableFileAudit(t, s.Client, "loose", existing, map[string]string{"mode": "0666"})
		st, err := os.Stat(existing)
		must(t, err, "stat")
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("existing 0600 file now has mode %v after enabling with mode 0666", st.Mode().Perm())
		}
	})
	t.Run("existing file is tightened", func(t *testing.T) {
		existing := filepath.Join(logs, "wide.log")
		must(t, os.WriteFile(existing, nil, 0o644), "write existing file")
		must(t, os.Chmod(existing, 0o644), "chmod")
		enableFileAudit(t, s.Client, "tight", existing, map[string]string{"mode": "0600"})
		st, err := os.Stat(existing)
		must(t, err, "stat")
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("existing 0644 file has mode %v after enabling with mode 0600", st.Mode().Perm())
		}
	})
}

// TestAuditPrefixNeedsConfig: with allow_audit_log_prefixing = true the
// prefix option is accepted and written before every entry.
func TestAuditPrefixNeedsConfig(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{AllowAuditLogPrefixing: true})
	log := filepath.Join(t.TempDir(), "prefixed.log")
	enableFileAudit(t, s.Client, "pre", log, map[string]string{"prefix": "@cee: "})
	data, err := os.ReadFile(log)
	must(t, err, "read log")
	if !strings.HasPrefix(string(data), "@cee: {") {
		t.Fatalf("log does not start with the prefix: %.40q", data)
	}
}

// TestConfigAuditDevicesFollowTheRules: a device declared in the server
// config with an executable mode, a prefix it is not allowed, or a file
// another device writes is refused when the configuration is validated.
func TestConfigAuditDevicesFollowTheRules(t *testing.T) {
	dir := t.TempDir()
	dev := func(path string, opts map[string]string) *config.AuditDevice {
		return &config.AuditDevice{Type: "file", Path: path, Options: opts}
	}
	one := filepath.Join(dir, "one.log")
	tests := []struct {
		name    string
		allow   bool
		devs    []*config.AuditDevice
		wantMsg string
	}{
		{"executable mode", false, []*config.AuditDevice{dev("x/", map[string]string{"file_path": one, "mode": "0750"})}, "file mode may not be executable"},
		{"prefix not allowed", false, []*config.AuditDevice{dev("x/", map[string]string{"file_path": one, "prefix": "#!/bin/sh\n"})}, "audit log prefixing is not allowed"},
		{"two devices, one file", false, []*config.AuditDevice{
			dev("a/", map[string]string{"file_path": one}),
			dev("b/", map[string]string{"file_path": filepath.Join(dir, ".", "one.log")}),
		}, "already used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf := config.Dev("127.0.0.1:0")
			conf.Audit, conf.AllowAuditLogPrefixing = tt.devs, tt.allow
			err := conf.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.wantMsg)
			}
			if _, err := os.Stat(one); !os.IsNotExist(err) {
				t.Fatalf("a refused config left %s behind", one)
			}
		})
	}
	t.Run("prefix allowed", func(t *testing.T) {
		conf := config.Dev("127.0.0.1:0")
		conf.Audit = []*config.AuditDevice{dev("x/", map[string]string{"file_path": one, "prefix": "@cee: "})}
		conf.AllowAuditLogPrefixing = true
		if err := conf.Validate(); err != nil {
			t.Fatalf("Validate() with allow_audit_log_prefixing = true: %v", err)
		}
	})
}

// TestAuditAPIDeviceCannotShareConfigDeviceFile: a device enabled through
// the API may not write the file of a device declared in the config.
func TestAuditAPIDeviceCannotShareConfigDeviceFile(t *testing.T) {
	log := filepath.Join(t.TempDir(), "config.log")
	s := vaulttest.Start(t, vaulttest.Options{Audit: []*config.AuditDevice{
		{Type: "file", Path: "declared/", Options: map[string]string{"file_path": log}},
	}})
	status, body := raw(t, s.Client, http.MethodPut, "sys/audit/api", map[string]any{"type": "file", "options": map[string]any{"file_path": log}})
	if status != http.StatusBadRequest || !strings.Contains(body["errors"].([]any)[0].(string), `already used by the audit device at "declared/"`) {
		t.Fatalf("HTTP %d %v, want 400 naming the config device", status, body)
	}
}
