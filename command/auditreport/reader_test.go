package auditreport

import (
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// vaultLines are entries as HashiCorp Vault 1.15+ writes them (fields
// vaultd does not write included): a Kubernetes login, then a read with
// its token, then a refused request whose response is missing.
var vaultLines = []string{
	`{"time":"2026-07-01T10:00:00.000001Z","type":"request","auth":{"token_type":"default"},"request":{"id":"r1","client_id":"","operation":"update","mount_point":"auth/kubernetes/","mount_type":"kubernetes","mount_running_version":"v0.18.0+builtin","mount_class":"auth","namespace":{"id":"root"},"path":"auth/kubernetes/login","data":{"jwt":"hmac-sha256:aa","role":"hmac-sha256:bb"},"remote_address":"10.0.0.7","remote_port":51234}}`,
	`{"time":"2026-07-01T10:00:00.000002Z","type":"response","auth":{"token_type":"default"},"request":{"id":"r1","operation":"update","mount_type":"kubernetes","namespace":{"id":"root"},"path":"auth/kubernetes/login","remote_address":"10.0.0.7"},"response":{"auth":{"client_token":"hmac-sha256:tok1","accessor":"hmac-sha256:acc1","display_name":"kubernetes-payments-processor","policies":["default","payments"],"token_policies":["default","payments"],"metadata":{"role":"payments","service_account_name":"processor","service_account_namespace":"payments","service_account_secret_name":"","service_account_uid":"5f1c"},"entity_id":"e-1","token_type":"service","token_ttl":3600,"token_issue_time":"2026-07-01T10:00:00Z"},"mount_type":"kubernetes","mount_running_plugin_version":"v0.18.0+builtin"}}`,
	`{"time":"2026-07-01T10:05:00.5Z","type":"request","auth":{"client_token":"hmac-sha256:tok1","accessor":"hmac-sha256:acc1","display_name":"kubernetes-payments-processor","policies":["default","payments"],"policy_results":{"allowed":true,"granting_policies":[{"name":"payments","namespace_id":"root","type":"acl"}]},"token_policies":["default","payments"],"entity_id":"e-1","token_type":"service","token_ttl":3600,"token_issue_time":"2026-07-01T10:00:00Z"},"request":{"id":"r2","operation":"read","mount_point":"secret/","mount_type":"kv","namespace":{"id":"root"},"path":"secret/data/payments/db","remote_address":"10.0.0.7","remote_port":51240}}`,
	`{"time":"2026-07-01T10:05:00.6Z","type":"response","auth":{"client_token":"hmac-sha256:tok1","accessor":"hmac-sha256:acc1","display_name":"kubernetes-payments-processor","policy_results":{"allowed":true},"entity_id":"e-1"},"request":{"id":"r2","operation":"read","mount_type":"kv","path":"secret/data/payments/db","remote_address":"10.0.0.7"},"response":{"mount_point":"secret/","mount_type":"kv","data":{"data":{"password":"hmac-sha256:pw"},"metadata":{"version":3}}}}`,
	`{"time":"2026-07-02T08:00:00Z","type":"request","auth":{"client_token":"hmac-sha256:tok1","policy_results":{"allowed":false}},"request":{"id":"r3","operation":"delete","path":"secret/data/payments/db","remote_address":"10.9.0.1"},"error":"permission denied"}`,
}

func readAll(t *testing.T, f *Filter, files ...string) ([]*Record, []*LineError) {
	t.Helper()
	if f != nil {
		if err := f.Check(); err != nil {
			t.Fatal(err)
		}
	}
	var recs []*Record
	var bad []*LineError
	_, err := NewReader(f, Limits{}).Read(context.Background(), files, func(r *Record) error {
		recs = append(recs, r)
		return nil
	}, func(le *LineError) { bad = append(bad, le) })
	if err != nil {
		t.Fatal(err)
	}
	return recs, bad
}

func writeLog(t *testing.T, name string, lines []string, gz bool) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := []byte(strings.Join(lines, "\n") + "\n")
	if gz {
		zw := gzip.NewWriter(f)
		_, _ = zw.Write(data)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReadsVaultsLog: a log HashiCorp Vault wrote joins the same way; the
// read carries the login's namespace and service account, the refused
// request without a response is still reported, as denied.
func TestReadsVaultsLog(t *testing.T) {
	log := writeLog(t, "vault-audit.log", vaultLines, false)
	recs, bad := readAll(t, nil, log)
	if len(bad) != 0 {
		t.Fatalf("bad lines: %v", bad)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	read := recs[1]
	if read.Path != "secret/data/payments/db" || read.Namespace != "payments" || read.ServiceAccount != "processor" ||
		read.Role != "payments" || read.Outcome != "ok" || read.Time.Format(time.RFC3339Nano) != "2026-07-01T10:05:00.5Z" || read.Line != 4 {
		t.Fatalf("read record %+v", read)
	}
	if d := recs[2]; d.Outcome != "denied" || d.ServiceAccount != "processor" {
		t.Fatalf("last record %+v", d)
	}
}

func TestFilters(t *testing.T) {
	log := writeLog(t, "a.log", vaultLines, true)
	since, _ := time.Parse(time.RFC3339, "2026-07-01T10:01:00Z")
	until, _ := time.Parse(time.RFC3339, "2026-07-02T00:00:00Z")
	for _, tc := range []struct {
		name  string
		f     Filter
		paths []string
	}{
		{"prefix", Filter{Path: "secret/"}, []string{"secret/data/payments/db", "secret/data/payments/db"}},
		{"glob", Filter{Path: "auth/*/login"}, []string{"auth/kubernetes/login"}},
		{"glob within a segment", Filter{Path: "secret/*"}, nil},
		{"since and until", Filter{Since: since, Until: until}, []string{"secret/data/payments/db"}},
		{"operation", Filter{Operations: []string{"delete"}}, []string{"secret/data/payments/db"}},
		{"namespace", Filter{Namespace: "payments", Operations: []string{"read"}}, []string{"secret/data/payments/db"}},
		{"service account glob", Filter{ServiceAccount: "proc*", Operations: []string{"update"}}, []string{"auth/kubernetes/login"}},
		{"display name", Filter{DisplayName: "kubernetes-payments-*", Path: "auth/"}, []string{"auth/kubernetes/login"}},
		{"entity", Filter{Entity: "e-1", Operations: []string{"read"}}, []string{"secret/data/payments/db"}},
		{"remote CIDR", Filter{RemoteAddress: "10.9.0.0/16"}, []string{"secret/data/payments/db"}},
		{"remote address", Filter{RemoteAddress: "10.0.0.7", Path: "auth/"}, []string{"auth/kubernetes/login"}},
		{"denied", Filter{Denied: true}, []string{"secret/data/payments/db"}},
		{"hmac", Filter{HMACs: []string{"hmac-sha256:pw"}}, []string{"secret/data/payments/db"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, _ := readAll(t, &tc.f, log)
			var got []string
			for _, r := range recs {
				got = append(got, r.Path)
			}
			if strings.Join(got, ",") != strings.Join(tc.paths, ",") {
				t.Fatalf("got %v, want %v", got, tc.paths)
			}
		})
	}
}

func TestBadFilters(t *testing.T) {
	for _, f := range []Filter{{Path: "secret/[x"}, {RemoteAddress: "not-an-ip"}, {Since: time.Now(), Until: time.Now().Add(-time.Hour)}} {
		if err := f.Check(); err == nil {
			t.Errorf("%+v accepted", f)
		}
	}
}

// TestBadLines: each line that is not an entry is reported with its
// number - too long, not JSON, not an entry, a bad time - and the
// others are read.
func TestBadLines(t *testing.T) {
	lines := append([]string{}, vaultLines[:2]...)
	lines = append(lines,
		strings.Repeat("x", MaxLine+10),
		`{"type":"request","request":{"id":"q"},"time":"yesterday"}`,
		`{"hello":"world"}`,
		`not json`,
	)
	lines = append(lines, vaultLines[2:]...)
	recs, bad := readAll(t, nil, writeLog(t, "bad.log", lines, false))
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	var at []int
	for _, b := range bad {
		at = append(at, b.Line)
	}
	if len(at) != 4 || at[0] != 3 || at[1] != 4 || at[2] != 5 || at[3] != 6 {
		t.Fatalf("bad lines at %v: %v", at, bad)
	}
	if recs[1].ServiceAccount != "processor" || recs[1].Line != 8 {
		t.Fatalf("the read after the bad lines: %+v", recs[1])
	}
}

// TestPendingBound: beyond Limits.Pending, the oldest request waiting for
// its response is reported without one.
func TestPendingBound(t *testing.T) {
	var lines []string
	for i := range 5 {
		lines = append(lines, `{"time":"2026-07-01T10:00:0`+string(rune('0'+i))+`Z","type":"request","request":{"id":"p`+string(rune('0'+i))+`","operation":"read","path":"x"}}`)
	}
	var recs []*Record
	_, err := NewReader(nil, Limits{Pending: 2}).Read(context.Background(), []string{writeLog(t, "p.log", lines, false)},
		func(r *Record) error { recs = append(recs, r); return nil }, func(*LineError) {})
	if err != nil || len(recs) != 5 || recs[0].RequestID != "p0" || recs[2].RequestID != "p2" || recs[0].Outcome != "no response" {
		t.Fatalf("%v %+v", err, recs)
	}
}
