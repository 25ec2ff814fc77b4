package auditreport_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/test/proc"
	"github.com/vaultd/vaultd/vaulttest"
)

var (
	cluster kube.Shared
	vaultd  proc.Binary
)

func TestMain(m *testing.M) { cluster.Main(m) }

func must(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// report runs the real `vaultd audit report` and returns stdout, stderr
// and the exit code.
func report(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	return proc.Run(t, vaultd.Path(t), env, append([]string{"audit", "report"}, args...)...)
}

type record struct {
	Time           string `json:"time"`
	RequestID      string `json:"request_id"`
	Operation      string `json:"operation"`
	Path           string `json:"path"`
	Outcome        string `json:"outcome"`
	Namespace      string `json:"service_account_namespace"`
	ServiceAccount string `json:"service_account_name"`
	Role           string `json:"role"`
	LoginPath      string `json:"login_path"`
	DisplayName    string `json:"display_name"`
	File           string `json:"file"`
	Line           int    `json:"line"`
}

func jsonRecords(t *testing.T, out string) []record {
	t.Helper()
	var recs []record
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r record
		must(t, json.Unmarshal(sc.Bytes(), &r), "record "+sc.Text())
		recs = append(recs, r)
	}
	return recs
}

// flow is a log made by the end-to-end audit flow: two Kubernetes logins
// (payments/processor and shop/web), each reading its own secret, and
// shop/web trying the payments secret and being refused.
type flow struct {
	server  *vaulttest.Server
	logPath string
	secret  string // the payments password
	// lastLoginLine is the line number of the last login's response.
	lastLoginLine int
}

func runFlow(t *testing.T) *flow {
	t.Helper()
	ctx := context.Background()
	c := cluster.Get(t)
	s := vaulttest.Start(t, vaulttest.Options{})
	root := s.Client
	fl := &flow{server: s, logPath: filepath.Join(t.TempDir(), "audit.log"), secret: "pay-db-pa55word"}
	must(t, root.Sys().EnableAuditWithOptions("file", &api.EnableAuditOptions{Type: "file", Options: map[string]string{"file_path": fl.logPath}}), "audit enable")

	for _, ns := range []string{"payments", "shop", "vaultd"} {
		must(t, c.EnsureNamespace(ctx, ns, nil), "namespace")
	}
	reviewer, err := c.CreateReviewer(ctx, "vaultd", "vaultd")
	must(t, err, "reviewer")
	must(t, root.Sys().EnableAuthWithOptions("kubernetes", &api.EnableAuthOptions{Type: "kubernetes"}), "auth enable")
	_, err = root.Logical().Write("auth/kubernetes/config", map[string]any{
		"kubernetes_host": c.Host, "kubernetes_ca_cert": string(c.CACertPEM), "token_reviewer_jwt": reviewer, "disable_local_ca_jwt": true,
	})
	must(t, err, "auth config")
	_, err = root.KVv2("secret").Put(ctx, "payments/db", map[string]any{"password": fl.secret})
	must(t, err, "kv put")
	_, err = root.KVv2("secret").Put(ctx, "shop/db", map[string]any{"password": "shop-pw"})
	must(t, err, "kv put")

	pods := map[string]*api.Client{}
	for _, w := range [][2]string{{"payments", "processor"}, {"shop", "web"}} {
		ns, sa := w[0], w[1]
		_, err := c.CreateServiceAccount(ctx, ns, sa)
		must(t, err, "service account")
		must(t, root.Sys().PutPolicy(ns+"-read", `path "secret/data/`+ns+`/*" { capabilities = ["read"] }`), "policy")
		_, err = root.Logical().Write("auth/kubernetes/role/"+ns, map[string]any{
			"bound_service_account_names": sa, "bound_service_account_namespaces": ns, "token_policies": ns + "-read",
		})
		must(t, err, "role")
		jwt, err := c.CreateToken(ctx, ns, sa, nil, 600)
		must(t, err, "jwt")
		pod := s.NewClient("")
		sec, err := pod.Logical().Write("auth/kubernetes/login", map[string]any{"role": ns, "jwt": jwt})
		must(t, err, "login")
		pod.SetToken(sec.Auth.ClientToken)
		pods[ns] = pod
	}
	fl.lastLoginLine = countLines(t, fl.logPath)
	for range 2 {
		_, err = pods["payments"].KVv2("secret").Get(ctx, "payments/db")
		must(t, err, "payments reads its secret")
	}
	_, err = pods["shop"].KVv2("secret").Get(ctx, "shop/db")
	must(t, err, "shop reads its secret")
	if _, err := pods["shop"].KVv2("secret").Get(ctx, "payments/db"); err == nil {
		t.Fatal("shop read the payments secret")
	}
	return fl
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err, "read log")
	return bytes.Count(b, []byte("\n"))
}

func reads(recs []record, path string) []record {
	var out []record
	for _, r := range recs {
		if r.Path == path && r.Operation == "read" {
			out = append(out, r)
		}
	}
	return out
}

// checkFlow: each read of a secret names the namespace and service
// account of the login behind its token; the refused read is there,
// denied, under shop/web.
func checkFlow(t *testing.T, recs []record) {
	t.Helper()
	pay := reads(recs, "secret/data/payments/db")
	if len(pay) != 3 {
		t.Fatalf("%d reads of secret/data/payments/db, want 3: %+v", len(pay), recs)
	}
	ok, denied := 0, 0
	for _, r := range pay {
		switch {
		case r.Outcome == "ok" && r.Namespace == "payments" && r.ServiceAccount == "processor" && r.Role == "payments" && r.LoginPath == "auth/kubernetes/login":
			ok++
		case r.Outcome == "denied" && r.Namespace == "shop" && r.ServiceAccount == "web":
			denied++
		default:
			t.Errorf("unexpected record %+v", r)
		}
	}
	if ok != 2 || denied != 1 {
		t.Errorf("payments reads: %d by payments/processor, %d denied to shop/web", ok, denied)
	}
	shop := reads(recs, "secret/data/shop/db")
	if len(shop) != 1 || shop[0].Namespace != "shop" || shop[0].ServiceAccount != "web" || shop[0].Outcome != "ok" {
		t.Errorf("shop reads: %+v", shop)
	}
}

// TestAuditReportEndToEnd runs the report over the flow's log: all
// records, -denied, -path with -namespace, the summary, and -hmac-of.
func TestAuditReportEndToEnd(t *testing.T) {
	fl := runFlow(t)
	stdout, stderr, code := report(t, nil, "-format=json", fl.logPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	all := jsonRecords(t, stdout)
	checkFlow(t, all)

	stdout, _, _ = report(t, nil, "-format=json", "-denied", fl.logPath)
	denied := jsonRecords(t, stdout)
	if len(denied) != 1 || denied[0].Path != "secret/data/payments/db" || denied[0].ServiceAccount != "web" || denied[0].Namespace != "shop" {
		t.Fatalf("-denied: %+v", denied)
	}

	stdout, _, _ = report(t, nil, "-path=secret/data/*/db", "-namespace=payments", fl.logPath)
	if n := strings.Count(stdout, "secret/data/payments/db"); n != 2 || strings.Contains(stdout, "shop") || !strings.Contains(stdout, "processor") {
		t.Fatalf("-path glob and -namespace, table:\n%s", stdout)
	}

	stdout, _, _ = report(t, nil, "-summary", "-format=csv", "-service-account=processor", fl.logPath)
	if !strings.Contains(stdout, "all,secret/data/payments/db,k8s:payments/processor,2,0,") {
		t.Fatalf("summary:\n%s", stdout)
	}

	// -hmac-of: the server hashes the password; the entries holding it are
	// the two reads that returned it, and nothing else.
	env := []string{"VAULT_ADDR=" + fl.server.Addr, "VAULT_TOKEN=" + fl.server.RootToken}
	stdout, stderr, code = report(t, env, "-format=json", "-hmac-of="+fl.secret, fl.logPath)
	hits := jsonRecords(t, stdout)
	if code != 0 || len(hits) < 3 {
		// The write of the secret (kv put) holds it too.
		t.Fatalf("-hmac-of: exit %d %s\n%+v", code, stderr, hits)
	}
	for _, h := range hits {
		if strings.HasPrefix(h.Path, "sys/audit-hash/") {
			continue // the report's own question holds the value too
		}
		if !strings.HasSuffix(h.Path, "payments/db") || (h.Operation == "read" && h.Outcome != "ok") {
			t.Errorf("-hmac-of matched %+v", h)
		}
	}
	if n := len(reads(hits, "secret/data/payments/db")); n != 2 {
		t.Errorf("-hmac-of found %d reads that returned the value, want 2", n)
	}
	raw, err := os.ReadFile(fl.logPath)
	must(t, err, "read log")
	if bytes.Contains(raw, []byte(fl.secret)) {
		t.Fatal("the log holds the secret in plain text")
	}
	if _, stderr, code := report(t, []string{"VAULT_ADDR=" + fl.server.Addr, "VAULT_TOKEN=nope"}, "-hmac-of=x", fl.logPath); code != 2 || !strings.Contains(stderr, "403") {
		t.Fatalf("-hmac-of without the right: exit %d %s", code, stderr)
	}
}

// TestAuditReportRotatedGzipped: the log split where a logrotate would
// have cut it - the logins in an older, gzipped file, the reads in the
// current one - given in the wrong order, reads the same.
func TestAuditReportRotatedGzipped(t *testing.T) {
	fl := runFlow(t)
	raw, err := os.ReadFile(fl.logPath)
	must(t, err, "read")
	lines := bytes.SplitAfter(raw, []byte("\n"))
	dir := t.TempDir()
	old, cur := filepath.Join(dir, "audit.log.1.gz"), filepath.Join(dir, "audit.log")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(bytes.Join(lines[:fl.lastLoginLine], nil))
	must(t, zw.Close(), "gzip")
	must(t, os.WriteFile(old, gz.Bytes(), 0o600), "write")
	must(t, os.WriteFile(cur, bytes.Join(lines[fl.lastLoginLine:], nil), 0o600), "write")

	stdout, stderr, code := report(t, nil, "-format=json", cur, old)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := jsonRecords(t, stdout)
	checkFlow(t, recs)
	for _, r := range reads(recs, "secret/data/payments/db") {
		if r.File != cur {
			t.Errorf("read found in %s", r.File)
		}
	}
}

// TestAuditReportJoinsByTokenHMAC: with the token metadata taken out of
// every entry but the logins' responses (as in a log whose requests do
// not repeat it), the namespace and service account still come, through
// the token's HMAC, from the login that created the token.
func TestAuditReportJoinsByTokenHMAC(t *testing.T) {
	fl := runFlow(t)
	f, err := os.Open(fl.logPath)
	must(t, err, "open")
	defer f.Close()
	var out bytes.Buffer
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e map[string]any
		must(t, json.Unmarshal(sc.Bytes(), &e), "line")
		if a, ok := e["auth"].(map[string]any); ok {
			delete(a, "metadata")
		}
		b, _ := json.Marshal(e)
		out.Write(append(b, '\n'))
	}
	stripped := filepath.Join(t.TempDir(), "stripped.log")
	must(t, os.WriteFile(stripped, out.Bytes(), 0o600), "write")
	stdout, stderr, code := report(t, nil, "-format=json", stripped)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	checkFlow(t, jsonRecords(t, stdout))
}

// TestAuditReportCorruptLine: a line that is not an entry is reported
// with its line number, the exit code says so, and every other line is
// still read.
func TestAuditReportCorruptLine(t *testing.T) {
	fl := runFlow(t)
	raw, err := os.ReadFile(fl.logPath)
	must(t, err, "read")
	lines := bytes.SplitAfter(raw, []byte("\n"))
	var b bytes.Buffer
	for i, l := range lines {
		if i == 4 {
			b.WriteString("{\"time\": \"2026-01-01T00:00:00Z\", \"type\": \"requ\n")
		}
		if i == 7 {
			b.WriteString("[1,2,3]\n")
		}
		b.Write(l)
	}
	bad := filepath.Join(t.TempDir(), "audit.log")
	must(t, os.WriteFile(bad, b.Bytes(), 0o600), "write")
	stdout, stderr, code := report(t, nil, "-format=json", bad)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{bad + ":5: not a JSON audit entry", bad + ":9: not a JSON audit entry", "2 of "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	checkFlow(t, jsonRecords(t, stdout))
}
