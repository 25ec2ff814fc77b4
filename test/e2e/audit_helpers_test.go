package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/storage/bbolt"
	"github.com/vaultd/vaultd/vaulttest"
)

// errNoSecret is a read that answered 200 with nothing in it.
var errNoSecret = errors.New("the read answered no secret")

// auditLine is one line of an audit log, decoded twice: into the schema
// type and into a generic map, so a test can check both the typed fields
// and which keys were written.
type auditLine struct {
	raw   string
	entry audit.Entry
	m     map[string]any
}

// readAuditLog reads a JSON audit log and fails the test unless every line
// is one whole JSON object of a known entry type.
func readAuditLog(t testing.TB, path string) []auditLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read audit log: %v", err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("audit log %s does not end with a newline: a partial line was written", path)
	}
	var out []auditLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		l := auditLine{raw: sc.Text()}
		dec := json.NewDecoder(strings.NewReader(l.raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l.entry); err != nil {
			t.Fatalf("%s line %d is not an audit entry: %v\n%s", path, n, err, l.raw)
		}
		if dec.More() {
			t.Fatalf("%s line %d holds more than one JSON value", path, n)
		}
		if err := json.Unmarshal([]byte(l.raw), &l.m); err != nil {
			t.Fatalf("%s line %d: %v", path, n, err)
		}
		if l.entry.Type != audit.TypeRequest && l.entry.Type != audit.TypeResponse {
			t.Fatalf("%s line %d has type %q", path, n, l.entry.Type)
		}
		if l.entry.Request == nil {
			t.Fatalf("%s line %d has no request", path, n)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// auditPair is the request and response entries of one request.
type auditPair struct {
	req, resp *auditLine
}

// pairsFor returns, in log order, the request/response pairs whose request
// went to path with operation op. Each request entry must be followed,
// somewhere later, by a response entry with the same request ID.
func pairsFor(t testing.TB, lines []auditLine, path, op string) []auditPair {
	t.Helper()
	var out []auditPair
	for i := range lines {
		l := &lines[i]
		r := l.entry.Request
		if l.entry.Type != audit.TypeRequest || r.Path != path || r.Operation != op {
			continue
		}
		p := auditPair{req: l}
		for j := i + 1; j < len(lines); j++ {
			if lines[j].entry.Type == audit.TypeResponse && lines[j].entry.Request.ID == r.ID {
				p.resp = &lines[j]
				break
			}
		}
		if p.resp == nil {
			t.Fatalf("request entry %s %s (id %s) has no response entry", op, path, r.ID)
		}
		out = append(out, p)
	}
	return out
}

// onePair is pairsFor that wants exactly one pair.
func onePair(t testing.TB, lines []auditLine, path, op string) auditPair {
	t.Helper()
	ps := pairsFor(t, lines, path, op)
	if len(ps) != 1 {
		t.Fatalf("want one %s %s in the audit log, found %d", op, path, len(ps))
	}
	return ps[0]
}

// enableFileAudit enables a file device at path writing to file.
func enableFileAudit(t testing.TB, c *api.Client, path, file string, extra map[string]string) {
	t.Helper()
	opts := map[string]string{"file_path": file}
	for k, v := range extra {
		opts[k] = v
	}
	err := c.Sys().EnableAuditWithOptions(path, &api.EnableAuditOptions{Type: "file", Options: opts})
	if err != nil {
		t.Fatalf("enable audit device %s: %v", path, err)
	}
}

// auditHash asks sys/audit-hash/<path> for the HMAC of input.
func auditHash(t testing.TB, c *api.Client, path, input string) string {
	t.Helper()
	h, err := c.Sys().AuditHash(path, input)
	if err != nil {
		t.Fatalf("audit-hash %s: %v", path, err)
	}
	if !strings.HasPrefix(h, audit.HMACPrefix) {
		t.Fatalf("audit-hash %s answered %q", path, h)
	}
	return h
}

// auditPaths lists the enabled devices, keyed by path, through GET
// sys/audit.
func auditPaths(t testing.TB, c *api.Client) map[string]*api.Audit {
	t.Helper()
	devs, err := c.Sys().ListAudit()
	if err != nil {
		t.Fatalf("list audit devices: %v", err)
	}
	return devs
}

// storedSalts stops the server, lists the audit salts left in its bbolt
// file (the barrier keeps keys in the clear and encrypts only values), then
// starts and unseals it again. Only for servers started with Options.Dir.
func storedSalts(t *testing.T, s *vaulttest.Server, dir string) []string {
	t.Helper()
	s.Stop()
	db, err := bbolt.Open(filepath.Join(dir, "vaultd.db"), nil)
	if err != nil {
		t.Fatalf("open the stopped server's storage: %v", err)
	}
	names, err := db.List(context.Background(), "core/audit-salt/")
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("list audit salts: %v", err)
	}
	s.Restart()
	s.Unseal(s.Shares...)
	return names
}

// fastClient is a client for s whose connection pool holds enough idle
// connections for n concurrent callers, so a load test measures the server
// rather than TCP handshakes.
func fastClient(t testing.TB, s *vaulttest.Server, token string, n int) *api.Client {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = s.Addr
	cfg.MaxRetries = 0
	tr := cfg.HttpClient.Transport.(*http.Transport)
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = n, n
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(token)
	return c
}
