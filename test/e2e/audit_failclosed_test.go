package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// fillDisk makes the audit file at path unwritable the way a full disk
// does: the file is moved aside (as logrotate would) and the path now
// leads to /dev/full, where every write fails with ENOSPC; then the
// server reopens its audit files, as on SIGHUP. File permissions would not
// do: these tests may run as root, whom a read-only directory does not
// stop.
func fillDisk(t *testing.T, s *vaulttest.Server, path string) {
	t.Helper()
	must(t, os.Rename(path, path+".1"), "move the log aside")
	must(t, os.Symlink("/dev/full", path), "point the log at /dev/full")
	must(t, s.Node.Core.ReopenAudit(context.Background()), "reopen audit devices")
}

// freeDisk undoes fillDisk: the path is a regular file again.
func freeDisk(t *testing.T, s *vaulttest.Server, path string) {
	t.Helper()
	must(t, os.Remove(path), "remove the /dev/full link")
	must(t, s.Node.Core.ReopenAudit(context.Background()), "reopen audit devices")
}

// TestAuditFailsClosed: with its only audit device unable to write, vaultd
// refuses a KV read with a 500 that carries no secret, and refuses a write
// before the engine runs; a second, healthy device is enough to serve.
func TestAuditFailsClosed(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	ctx := context.Background()
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	dir := t.TempDir()
	aPath, bPath := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	enableFileAudit(t, c, "a", aPath, nil)
	enableFileAudit(t, c, "b", bPath, nil)
	_, err := c.KVv2("secret").Put(ctx, "my-api", walkthroughSecret)
	must(t, err, "kv put")

	fillDisk(t, s, aPath)
	t.Run("a healthy second device serves the read", func(t *testing.T) {
		got, err := c.KVv2("secret").Get(ctx, "my-api")
		must(t, err, "kv get with one device failing")
		if got.Data["DB_PASSWORD"] != walkthroughSecret["DB_PASSWORD"] {
			t.Fatalf("kv get: %v", got.Data)
		}
		onePair(t, readAuditLog(t, bPath), "secret/data/my-api", "read")
		if n := len(pairsFor(t, readAuditLog(t, aPath+".1"), "secret/data/my-api", "read")); n != 0 {
			t.Fatalf("the failing device's old file got %d reads", n)
		}
	})

	fillDisk(t, s, bPath)
	t.Run("no device can write: the read is refused", func(t *testing.T) {
		status, body := raw(t, c, http.MethodGet, "secret/data/my-api", nil)
		if status != http.StatusInternalServerError {
			t.Fatalf("read with every audit device failing: HTTP %d %v", status, body)
		}
		if errs, _ := body["errors"].([]any); len(errs) != 1 || errs[0] != "internal error" {
			t.Fatalf("errors %v, want [\"internal error\"]", body["errors"])
		}
		text, _ := json.Marshal(body)
		for k, v := range walkthroughSecret {
			if strings.Contains(string(text), v.(string)) {
				t.Fatalf("the refusal carries the secret's %s", k)
			}
		}
		if _, ok := body["data"]; ok {
			t.Fatalf("the refusal carries data: %s", text)
		}
	})
	t.Run("no device can write: a write never reaches the engine", func(t *testing.T) {
		status, _ := raw(t, c, http.MethodPut, "secret/data/my-api", map[string]any{
			"data": map[string]any{"DB_PASSWORD": "rotated-password-v2"},
		})
		if status != http.StatusInternalServerError {
			t.Fatalf("write with every audit device failing: HTTP %d", status)
		}
	})

	freeDisk(t, s, aPath)
	freeDisk(t, s, bPath)
	t.Run("healed, the secret is as it was", func(t *testing.T) {
		got, err := c.KVv2("secret").Get(ctx, "my-api")
		must(t, err, "kv get after the disks were freed")
		if got.VersionMetadata.Version != 1 || got.Data["DB_PASSWORD"] != walkthroughSecret["DB_PASSWORD"] {
			t.Fatalf("the refused write happened: version %d data %v", got.VersionMetadata.Version, got.Data)
		}
		for _, p := range []string{aPath, bPath} {
			onePair(t, readAuditLog(t, p), "secret/data/my-api", "read")
		}
	})
}
