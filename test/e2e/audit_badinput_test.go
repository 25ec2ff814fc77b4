package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestAuditEnableBadInput: every bad enable is a 400 naming the problem,
// and leaves nothing behind: no device, no file or directory, no salt.
func TestAuditEnableBadInput(t *testing.T) {
	dir, logs := t.TempDir(), t.TempDir()
	s := vaulttest.Start(t, vaulttest.Options{Dir: dir})
	okLog := filepath.Join(logs, "ok.log")
	enableFileAudit(t, s.Client, "file", okLog, nil)

	target := filepath.Join(logs, "new", "audit.log")
	plainFile := filepath.Join(logs, "plainfile")
	must(t, os.WriteFile(plainFile, nil, 0o600), "write plain file")
	file := func(opts map[string]any) map[string]any {
		return map[string]any{"type": "file", "options": opts}
	}
	tests := []struct {
		name, path string
		body       map[string]any
		wantMsg    string
	}{
		{"unknown device type", "bad", map[string]any{"type": "syslog", "options": map[string]any{"facility": "AUTH"}}, "syslog"},
		{"missing type", "bad", map[string]any{"options": map[string]any{"file_path": target}}, "type"},
		{"missing file_path", "bad", file(map[string]any{}), "file_path"},
		{"missing options", "bad", map[string]any{"type": "file"}, "file_path"},
		{"empty file_path", "bad", file(map[string]any{"file_path": " "}), "file_path"},
		{"mode not octal", "bad", file(map[string]any{"file_path": target, "mode": "0689"}), "mode"},
		{"mode in words", "bad", file(map[string]any{"file_path": target, "mode": "rw-r--r--"}), "mode"},
		{"mode too large", "bad", file(map[string]any{"file_path": target, "mode": "7777"}), "mode"},
		{"mode executable", "bad", file(map[string]any{"file_path": target, "mode": "0755"}), "file mode may not be executable"},
		{"prefix without allow_audit_log_prefixing", "bad", file(map[string]any{"file_path": target, "prefix": "#!/bin/sh\n"}), "audit log prefixing is not allowed"},
		{"file_path of another device", "bad", file(map[string]any{"file_path": okLog}), "already used by the audit device"},
		{"format unknown", "bad", file(map[string]any{"file_path": target, "format": "yaml"}), "format"},
		{"log_raw not a bool", "bad", file(map[string]any{"file_path": target, "log_raw": "sometimes"}), "log_raw"},
		{"hmac_accessor not a bool", "bad", file(map[string]any{"file_path": target, "hmac_accessor": "perhaps"}), "hmac_accessor"},
		{"elide_list_responses not a bool", "bad", file(map[string]any{"file_path": target, "elide_list_responses": "10"}), "elide_list_responses"},
		{"enterprise-only filter", "bad", file(map[string]any{"file_path": target, "filter": `mount_type == "kv"`}), "filter"},
		{"options not an object", "bad", map[string]any{"type": "file", "options": 5}, "options"},
		{"file cannot be opened: a directory", "bad", file(map[string]any{"file_path": logs}), "file sink creation failed"},
		{"file cannot be opened: parent is a file", "bad", file(map[string]any{"file_path": filepath.Join(plainFile, "audit.log")}), "file sink creation failed"},
		{"file opens but cannot be written", "bad", file(map[string]any{"file_path": "/dev/full"}), "test message"},
		{"path in use", "file", file(map[string]any{"file_path": target}), "path already in use"},
		{"path inside one in use", "file/sub", file(map[string]any{"file_path": target}), "path already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := raw(t, s.Client, http.MethodPut, "sys/audit/"+tt.path, tt.body)
			if status != http.StatusBadRequest {
				t.Fatalf("HTTP %d %v, want 400", status, body)
			}
			errs, _ := body["errors"].([]any)
			if len(errs) == 0 || !strings.Contains(errs[0].(string), tt.wantMsg) {
				t.Fatalf("errors %v do not mention %q", body["errors"], tt.wantMsg)
			}
			devs := auditPaths(t, s.Client)
			if len(devs) != 1 || devs["file/"] == nil || devs["file/"].Options["file_path"] != okLog {
				t.Fatalf("devices after a refused enable: %v", devs)
			}
			entries, err := os.ReadDir(logs)
			must(t, err, "read log dir")
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if !slices.Equal(names, []string{"ok.log", "plainfile"}) {
				t.Fatalf("a refused enable left files behind: %v", names)
			}
		})
	}
	if salts := storedSalts(t, s, dir); !slices.Equal(salts, []string{"file/"}) {
		t.Fatalf("refused enables left salts behind: %v", salts)
	}
	// The one good device still works after all that.
	must(t, s.Client.Sys().PutPolicy("p", `path "x" { capabilities = ["read"] }`), "policy write")
	onePair(t, readAuditLog(t, okLog), "sys/policies/acl/p", "update")
}
