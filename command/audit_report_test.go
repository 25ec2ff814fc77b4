package command

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 7, 10, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"2026-07-01":           time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
		"2026-07-01T10:00:00Z": time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC),
		"36h":                  now.Add(-36 * time.Hour),
		"7d":                   now.Add(-7 * 24 * time.Hour),
	} {
		got, err := parseWhen(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "-5h", "7w", "2026-13-01"} {
		if _, err := parseWhen(bad, now); err == nil {
			t.Errorf("parseWhen(%q) accepted", bad)
		}
	}
}

// TestAuditReportBadFlags: bad flags exit 1 with the reason, before any
// file is read; a file that cannot be opened exits 1 too.
func TestAuditReportBadFlags(t *testing.T) {
	log := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(log, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Not enough arguments"},
		{[]string{"-format=yaml", log}, "Invalid output format: yaml"},
		{[]string{"-summary", "-period=year", log}, `Invalid -period "year"`},
		{[]string{"-since=soon", log}, "Invalid -since"},
		{[]string{"-since=2026-07-02", "-until=2026-07-01", log}, "is before -since"},
		{[]string{"-remote-address=300.1.1.1", log}, "not an address or a CIDR prefix"},
		{[]string{"-path=secret/[", log}, "-path"},
		{[]string{filepath.Join(t.TempDir(), "missing.log")}, "missing.log"},
	} {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), append([]string{"audit", "report"}, tc.args...), Streams{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr})
		if code != exitLocal || !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 1 and %q", tc.args, code, stdout.String(), stderr.String(), tc.want)
		}
	}
}

// TestMigrateBadFlags: usage errors exit 1 before the cluster or the
// server is asked anything.
func TestMigrateBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-format=csv"}, "Invalid output format: csv"},
		{[]string{"-delete-secrets"}, "-delete-secrets needs -apply"},
		{[]string{"-dry-run=false"}, "use -apply"},
		{[]string{"-selector=app=web", "db"}, "not both"},
		{[]string{"-all-namespaces", "db"}, "not both"},
		{[]string{"-kubeconfig=" + filepath.Join(t.TempDir(), "nope")}, "loading the Kubernetes client configuration"},
	} {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), append([]string{"migrate", "k8s-secrets"}, tc.args...), Streams{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr})
		if code != exitLocal || !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 1 and %q", tc.args, code, stdout.String(), stderr.String(), tc.want)
		}
	}
}
