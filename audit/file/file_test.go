package file

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/logical"
)

var salt = []byte("file-device-test-salt")

const (
	token    = "hvs.CAESIFileDeviceToken"
	accessor = "fileDeviceAccessor42"
	secret   = "correct-horse-battery-staple"
	newToken = "hvs.CAESIMintedAtLogin"
	newAcc   = "mintedAccessor77"
)

func newDevice(t testing.TB, opts map[string]string) *Device {
	t.Helper()
	d, err := Factory(context.Background(), &audit.FactoryConfig{
		Config: audit.DeviceConfig{Type: Type, Path: "file/", Options: opts},
		Salt:   salt,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d.(*Device)
}

// kvRead is a typical KV v2 read, with its response.
func kvRead() *audit.LogInput {
	return &audit.LogInput{
		Time: time.Now(),
		Auth: &logical.Auth{
			ClientToken: token, Accessor: accessor, DisplayName: "token", Policies: []string{"default", "app"},
			TokenPolicies: []string{"default", "app"}, TokenType: logical.TokenTypeService, TTL: 768 * time.Hour,
			IssueTime: time.Now().Add(-time.Hour),
		},
		Request: &logical.Request{
			ID: "0c1e7e5a-3b4f-4a8e-9a57-2f7a4f0d2c11", Operation: logical.ReadOperation, Path: "secret/data/my-api",
			ClientToken: token, ClientTokenAccessor: accessor, MountPoint: "secret/", MountType: "kv",
			MountAccessor: "kv_1a2b3c4d", RemoteAddr: "127.0.0.1", RemotePort: 40512,
		},
		Response: &logical.Response{Data: map[string]any{
			"data": map[string]any{"username": "app", "password": secret},
			"metadata": map[string]any{
				"created_time": "2025-03-01T10:00:00.123456Z", "custom_metadata": nil, "deletion_time": "",
				"destroyed": false, "version": json.Number("1"),
			},
		}},
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	if b[len(b)-1] != '\n' {
		t.Fatalf("file does not end in a whole line: %q", b[max(0, len(b)-80):])
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func decode(t *testing.T, line string) *audit.Entry {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var e audit.Entry
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("line is not an entry: %v\n%s", err, line)
	}
	return &e
}

func TestFileRequestAndResponse(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.log")
	d := newDevice(t, map[string]string{"file_path": path})

	in := kvRead()
	in.Request.Data = map[string]any{"token": token}
	in.Response.Auth = &logical.Auth{ClientToken: newToken, Accessor: newAcc, TokenType: logical.TokenTypeService}
	if err := d.LogRequest(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := d.LogResponse(ctx, in); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	req, resp := decode(t, lines[0]), decode(t, lines[1])
	if req.Type != "request" || resp.Type != "response" {
		t.Fatalf("types %q, %q", req.Type, resp.Type)
	}
	for _, e := range []*audit.Entry{req, resp} {
		if e.Request.Path != "secret/data/my-api" || e.Request.Operation != "read" || e.Request.RemoteAddr != "127.0.0.1" ||
			e.Request.MountPoint != "secret/" || e.Request.Namespace.ID != "root" {
			t.Fatalf("request part: %+v", e.Request)
		}
		if _, err := time.Parse(time.RFC3339Nano, e.Time); err != nil || !strings.HasSuffix(e.Time, "Z") {
			t.Fatalf("time %q: %v", e.Time, err)
		}
	}

	// No secret, token or accessor in plain text anywhere in the file ...
	raw, _ := os.ReadFile(path)
	for _, plain := range []string{token, accessor, secret, newToken, newAcc} {
		if bytes.Contains(raw, []byte(plain)) {
			t.Errorf("%q is in the file in plain text", plain)
		}
	}
	// ... and Hash finds each of them, in the fields they belong to.
	hash := func(s string) string {
		v, err := d.Hash(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	checks := map[string][2]string{
		"auth.client_token":              {req.Auth.ClientToken, hash(token)},
		"auth.accessor":                  {req.Auth.Accessor, hash(accessor)},
		"request.client_token":           {req.Request.ClientToken, hash(token)},
		"request.client_token_accessor":  {req.Request.ClientTokenAccessor, hash(accessor)},
		"request.data.token":             {fmt.Sprint(req.Request.Data["token"]), hash(token)},
		"response.data.data.password":    {fmt.Sprint(resp.Response.Data["data"].(map[string]any)["password"]), hash(secret)},
		"response.auth.client_token":     {resp.Response.Auth.ClientToken, hash(newToken)},
		"response.auth.accessor":         {resp.Response.Auth.Accessor, hash(newAcc)},
		"response.data.metadata.version": {fmt.Sprint(resp.Response.Data["metadata"].(map[string]any)["version"]), hash("1")},
	}
	for field, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", field, c[0], c[1])
		}
	}
	if !strings.HasPrefix(hash(secret), "hmac-sha256:") || len(hash(secret)) != len("hmac-sha256:")+64 {
		t.Fatalf("hash format %q", hash(secret))
	}
	// The caller's values are untouched.
	if in.Response.Data["data"].(map[string]any)["password"] != secret || in.Auth.ClientToken != token {
		t.Fatal("caller's data modified")
	}
}

func TestFileOptions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cases := []struct {
		name  string
		opts  map[string]string
		check func(t *testing.T, line string)
	}{
		{"log_raw", map[string]string{"log_raw": "true"}, func(t *testing.T, line string) {
			if !strings.Contains(line, secret) || !strings.Contains(line, token) || strings.Contains(line, "hmac-sha256:") {
				t.Fatalf("not raw: %s", line)
			}
		}},
		{"hmac_accessor false", map[string]string{"hmac_accessor": "false"}, func(t *testing.T, line string) {
			if !strings.Contains(line, `"accessor":"`+accessor+`"`) || strings.Contains(line, token) || strings.Contains(line, secret) {
				t.Fatalf("accessor not plain or token leaked: %s", line)
			}
		}},
		{"prefix", map[string]string{"prefix": "@cee: "}, func(t *testing.T, line string) {
			if !strings.HasPrefix(line, "@cee: {") {
				t.Fatalf("no prefix: %.40s", line)
			}
			decode(t, strings.TrimPrefix(line, "@cee: "))
		}},
		{"jsonx", map[string]string{"format": "jsonx"}, func(t *testing.T, line string) {
			if !strings.HasPrefix(line, `<json:object name="auth">`) || !strings.HasSuffix(line, `<json:string name="type">response</json:string>`) ||
				strings.Contains(line, secret) {
				t.Fatalf("not jsonx: %.120s", line)
			}
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("%d.log", i))
			tc.opts["file_path"] = path
			d := newDevice(t, tc.opts)
			if err := d.LogResponse(ctx, kvRead()); err != nil {
				t.Fatal(err)
			}
			lines := readLines(t, path)
			if len(lines) != 1 {
				t.Fatalf("%d lines", len(lines))
			}
			tc.check(t, lines[0])
		})
	}
}

func TestFileElideListResponses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	d := newDevice(t, map[string]string{"file_path": path, "elide_list_responses": "true"})
	in := kvRead()
	in.Request.Operation = logical.ListOperation
	in.Request.Path = "secret/metadata/"
	in.Response.Data = map[string]any{"keys": []string{"a", "b", "c", "d"}}
	if err := d.LogResponse(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	e := decode(t, readLines(t, path)[0])
	if e.Response.Data["keys"] != json.Number("4") {
		t.Fatalf("keys = %v", e.Response.Data["keys"])
	}
}

func TestFileMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "dir", "audit.log")
	newDevice(t, map[string]string{"file_path": path, "mode": "0640"})
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	if st, _ := os.Stat(filepath.Dir(path)); st.Mode().Perm() != 0o700 {
		t.Fatalf("created directory mode %v", st.Mode().Perm())
	}
	// Default 0600, and an existing file gets the configured mode.
	def := filepath.Join(dir, "default.log")
	newDevice(t, map[string]string{"file_path": def})
	if st, _ := os.Stat(def); st.Mode().Perm() != 0o600 {
		t.Fatalf("default mode %v", st.Mode().Perm())
	}
	if err := os.Chmod(def, 0o644); err != nil {
		t.Fatal(err)
	}
	newDevice(t, map[string]string{"file_path": def})
	if st, _ := os.Stat(def); st.Mode().Perm() != 0o600 {
		t.Fatalf("existing file mode %v", st.Mode().Perm())
	}
	// An existing file is never loosened: 0600 stays 0600 under 0644.
	newDevice(t, map[string]string{"file_path": def, "mode": "0644"})
	if st, _ := os.Stat(def); st.Mode().Perm() != 0o600 {
		t.Fatalf("existing 0600 file loosened to %v", st.Mode().Perm())
	}
	// 0000 leaves an existing file's mode alone.
	if err := os.Chmod(def, 0o644); err != nil {
		t.Fatal(err)
	}
	newDevice(t, map[string]string{"file_path": def, "mode": "0000"})
	if st, _ := os.Stat(def); st.Mode().Perm() != 0o644 {
		t.Fatalf("mode 0000 changed the file: %v", st.Mode().Perm())
	}
}

func TestFileAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	if err := os.WriteFile(path, []byte("{\"earlier\":true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDevice(t, map[string]string{"file_path": path})
	if err := d.LogRequest(context.Background(), kvRead()); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	if len(lines) != 2 || lines[0] != `{"earlier":true}` {
		t.Fatalf("not appended: %v", lines)
	}
}

func TestFileBadOptions(t *testing.T) {
	dir := t.TempDir()
	notADir := filepath.Join(dir, "plainfile")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "new", "audit.log")
	cases := map[string]map[string]string{
		"missing file_path":    {},
		"empty file_path":      {"file_path": "  "},
		"mode not octal":       {"file_path": target, "mode": "0689"},
		"mode words":           {"file_path": target, "mode": "rw-r--r--"},
		"mode too large":       {"file_path": target, "mode": "7777"},
		"mode executable":      {"file_path": target, "mode": "0755"},
		"mode group execute":   {"file_path": target, "mode": "0650"},
		"format unknown":       {"file_path": target, "format": "yaml"},
		"hmac_accessor":        {"file_path": target, "hmac_accessor": "perhaps"},
		"log_raw":              {"file_path": target, "log_raw": "sometimes"},
		"elide_list_responses": {"file_path": target, "elide_list_responses": "10"},
		"enterprise filter":    {"file_path": target, "filter": "true"},
		"parent is a file":     {"file_path": filepath.Join(notADir, "audit.log")},
		"path is a directory":  {"file_path": dir},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			d, err := Factory(context.Background(), &audit.FactoryConfig{
				Config: audit.DeviceConfig{Type: Type, Path: "file/", Options: opts}, Salt: salt,
			})
			if err == nil {
				_ = d.Close()
				t.Fatal("accepted")
			}
			if got := logical.StatusOf(err); got != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %v", got, err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 || entries[0].Name() != "plainfile" {
				t.Fatalf("something was created: %v", entries)
			}
			if info, _ := os.Stat(notADir); info.Size() != 0 {
				t.Fatal("wrote into an existing file")
			}
		})
	}
	t.Run("message names the path", func(t *testing.T) {
		_, err := Factory(context.Background(), &audit.FactoryConfig{
			Config: audit.DeviceConfig{Options: map[string]string{"file_path": filepath.Join(notADir, "x.log")}}, Salt: salt,
		})
		if err == nil || !strings.Contains(err.Error(), "file sink creation failed for path") || !strings.Contains(err.Error(), "not a directory") {
			t.Fatalf("unclear error: %v", err)
		}
	})
	t.Run("empty salt", func(t *testing.T) {
		_, err := Factory(context.Background(), &audit.FactoryConfig{
			Config: audit.DeviceConfig{Options: map[string]string{"file_path": target}},
		})
		if err == nil {
			t.Fatal("empty salt accepted")
		}
		if _, serr := os.Stat(filepath.Dir(target)); !errors.Is(serr, os.ErrNotExist) {
			t.Fatal("directory created despite the error")
		}
	})
}

func TestFileStdoutAndDiscard(t *testing.T) {
	for _, p := range []string{"discard", "DISCARD", "stdout", "Stdout"} {
		d := newDevice(t, map[string]string{"file_path": p})
		if d.path != "" {
			t.Fatalf("%s: treated as a file", p)
		}
		if err := d.Reopen(); err != nil {
			t.Fatal(err)
		}
	}
	d := newDevice(t, map[string]string{"file_path": "discard"})
	if err := d.LogRequest(context.Background(), kvRead()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("discard"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file named discard was created")
	}
	var buf bytes.Buffer
	d = newDevice(t, map[string]string{"file_path": "stdout"})
	d.stdout = &buf
	if err := d.LogRequest(context.Background(), kvRead()); err != nil {
		t.Fatal(err)
	}
	decode(t, strings.TrimSuffix(buf.String(), "\n"))
}

// TestBrokerFailsClosedOnFullDisk uses /dev/full, where every write fails
// with ENOSPC: the only device failing refuses the entry; a second,
// healthy device lets it through.
func TestBrokerFailsClosedOnFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	ctx := context.Background()
	b := audit.NewBroker(nil)
	full := newDevice(t, map[string]string{"file_path": "/dev/full"})
	b.Register("full/", full, audit.DeviceConfig{Type: Type})

	err := b.LogRequest(ctx, kvRead())
	if !errors.Is(err, audit.ErrAuditFailed) || logical.StatusOf(err) != http.StatusInternalServerError {
		t.Fatalf("request on a full disk: %v", err)
	}
	if err := b.LogResponse(ctx, kvRead()); !errors.Is(err, audit.ErrAuditFailed) {
		t.Fatalf("response on a full disk: %v", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), token) {
		t.Fatal("error leaks a secret")
	}

	path := filepath.Join(t.TempDir(), "healthy.log")
	b.Register("healthy/", newDevice(t, map[string]string{"file_path": path}), audit.DeviceConfig{Type: Type})
	if err := b.LogRequest(ctx, kvRead()); err != nil {
		t.Fatalf("with a healthy device: %v", err)
	}
	if err := b.LogResponse(ctx, kvRead()); err != nil {
		t.Fatalf("with a healthy device: %v", err)
	}
	if n := len(readLines(t, path)); n != 2 {
		t.Fatalf("healthy device has %d lines", n)
	}

	b.Deregister("healthy/")
	if err := b.LogRequest(ctx, kvRead()); !errors.Is(err, audit.ErrAuditFailed) {
		t.Fatalf("after removing the healthy device: %v", err)
	}
}

func TestConcurrentWholeLines(t *testing.T) {
	const workers, perWorker = 64, 10000 / 64
	total := workers * perWorker
	extra := 10000 - total
	path := filepath.Join(t.TempDir(), "audit.log")
	d := newDevice(t, map[string]string{"file_path": path})
	b := audit.NewBroker(nil)
	b.Register("file/", d, audit.DeviceConfig{Type: Type})

	// Big entries make torn writes likely if lines were not written whole.
	big := strings.Repeat("x", 4096)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		n := perWorker
		if w < extra {
			n++
		}
		wg.Go(func() {
			for i := range n {
				in := kvRead()
				in.Request.ID = fmt.Sprintf("%d-%d", w, i)
				in.Request.Data = map[string]any{"blob": big}
				if err := b.LogRequest(context.Background(), in); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	seen := make(map[string]bool)
	for sc.Scan() {
		var e audit.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d is not valid JSON: %v", len(seen)+1, err)
		}
		if seen[e.Request.ID] {
			t.Fatalf("duplicate %s", e.Request.ID)
		}
		seen[e.Request.ID] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 10000 {
		t.Fatalf("%d lines, want 10000", len(seen))
	}
}

func TestReopenAfterRotate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	rotated := path + ".1"
	d := newDevice(t, map[string]string{"file_path": path, "mode": "0640"})
	b := audit.NewBroker(nil)
	b.Register("file/", d, audit.DeviceConfig{})

	mustLog := func() {
		t.Helper()
		if err := b.LogRequest(ctx, kvRead()); err != nil {
			t.Fatal(err)
		}
	}
	mustLog()
	if err := os.Rename(path, rotated); err != nil {
		t.Fatal(err)
	}
	mustLog() // still to the renamed file, as with any open descriptor
	if err := b.Reopen(); err != nil {
		t.Fatal(err)
	}
	mustLog()
	mustLog()
	if n := len(readLines(t, rotated)); n != 2 {
		t.Fatalf("rotated file has %d lines, want 2", n)
	}
	if n := len(readLines(t, path)); n != 2 {
		t.Fatalf("new file has %d lines, want 2", n)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Fatalf("reopened file mode %v", st.Mode().Perm())
	}
}

func TestClosedDevice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.log")
	d := newDevice(t, map[string]string{"file_path": path})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.LogRequest(context.Background(), kvRead()); !errors.Is(err, ErrClosed) {
		t.Fatalf("log after close: %v", err)
	}
	if err := d.Reopen(); !errors.Is(err, ErrClosed) {
		t.Fatalf("reopen after close: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal("second close", err)
	}
}

// BenchmarkKVRead measures LogRequest+LogResponse of a typical KV v2 read
// through the broker, with no device, one file device and two.
func BenchmarkKVRead(b *testing.B) {
	for _, devices := range []int{0, 1, 2} {
		b.Run(fmt.Sprintf("devices=%d", devices), func(b *testing.B) {
			broker := benchBroker(b, devices)
			ctx := context.Background()
			in := kvRead()
			b.ReportAllocs()
			for b.Loop() {
				if err := broker.LogRequest(ctx, in); err != nil {
					b.Fatal(err)
				}
				if err := broker.LogResponse(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkKVReadParallel is the same from 64 goroutines.
func BenchmarkKVReadParallel(b *testing.B) {
	for _, devices := range []int{1, 2} {
		b.Run(fmt.Sprintf("devices=%d", devices), func(b *testing.B) {
			broker := benchBroker(b, devices)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetParallelism(64 / runtime.GOMAXPROCS(0))
			b.RunParallel(func(pb *testing.PB) {
				in := kvRead()
				for pb.Next() {
					if err := broker.LogRequest(ctx, in); err != nil {
						b.Fatal(err)
					}
					if err := broker.LogResponse(ctx, in); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func benchBroker(b *testing.B, devices int) *audit.Broker {
	broker := audit.NewBroker(nil)
	dir := b.TempDir()
	for i := range devices {
		path := filepath.Join(dir, fmt.Sprintf("audit%d.log", i))
		broker.Register(fmt.Sprintf("file%d/", i), newDevice(b, map[string]string{"file_path": path}), audit.DeviceConfig{})
	}
	return broker
}
