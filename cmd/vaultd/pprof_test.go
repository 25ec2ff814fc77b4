package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/test/proc"
)

// The pprof tests share the TLS test's build of the binary.

// pprofConfig writes a bbolt server config with one plain-HTTP listener on
// api and, when pprofAddr is not empty, pprof_addr.
func pprofConfig(t *testing.T, api, pprofAddr string) string {
	t.Helper()
	dir := t.TempDir()
	text := fmt.Sprintf("storage \"bbolt\" {\n  path = %q\n}\nlistener \"tcp\" {\n  address     = %q\n  tls_disable = true\n}\ndisable_mlock = true\n",
		filepath.Join(dir, "data"), api)
	if pprofAddr != "" {
		text += fmt.Sprintf("pprof_addr = %q\n", pprofAddr)
	}
	path := filepath.Join(dir, "vaultd.hcl")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, body
}

// TestPprofListener runs the real server with pprof_addr set: the profiles
// are served there, the API listener still answers 404 for them, the
// process listens on exactly those two ports, and the pprof port closes
// with the server.
func TestPprofListener(t *testing.T) {
	bin := tlsBinary.Path(t)
	api, pp := proc.FreeAddr(t), proc.FreeAddr(t)
	p := proc.Start(t, bin, proc.Options{}, "server", "-config="+pprofConfig(t, api, pp))
	proc.WaitHealthy(t, "http://"+api, 30*time.Second)

	code, index := get(t, "http://"+pp+"/debug/pprof/")
	if code != http.StatusOK || !bytes.Contains(index, []byte("heap")) || !bytes.Contains(index, []byte("goroutine")) {
		t.Fatalf("pprof index: %d\n%s\nserver output:\n%s", code, index, p.Out)
	}
	code, heap := get(t, "http://"+pp+"/debug/pprof/heap")
	if code != http.StatusOK {
		t.Fatalf("heap profile: %d %s", code, heap)
	}
	zr, err := gzip.NewReader(bytes.NewReader(heap))
	if err != nil {
		t.Fatalf("heap profile is not gzip'd protobuf: %v (%d bytes)", err, len(heap))
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("heap profile: %v", err)
	}
	// The profile's string table names a heap profile's sample types.
	for _, st := range []string{"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"} {
		if !bytes.Contains(raw, []byte(st)) {
			t.Fatalf("heap profile (%d bytes) lacks the sample type %s", len(raw), st)
		}
	}
	code, goroutines := get(t, "http://"+pp+"/debug/pprof/goroutine?debug=1")
	if code != http.StatusOK || !bytes.Contains(goroutines, []byte("vaultd/node.(*pprofServer).serve")) {
		t.Fatalf("goroutine profile: %d, lacks the pprof server's own goroutine:\n%s", code, goroutines)
	}
	if code, body := get(t, "http://"+pp+"/debug/pprof/cmdline"); code != http.StatusNotFound || bytes.Contains(body, []byte("-config")) {
		t.Errorf("cmdline: %d %q; want 404 without the command line", code, body)
	}

	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/goroutine?debug=1", "/debug/pprof/profile?seconds=1"} {
		code, body := get(t, "http://"+api+path)
		if code != http.StatusNotFound || bytes.Contains(body, []byte("goroutine")) || bytes.Contains(body, []byte("inuse_space")) {
			t.Errorf("API listener GET %s: %d %q; want 404 and no profile", path, code, body)
		}
	}

	if got, want := listeningPorts(t, p.Pid()), ports(t, api, pp); !slices.Equal(got, want) {
		t.Errorf("the server listens on ports %v, want %v (the API listener and pprof_addr)", got, want)
	}

	p.Stop(t, 30*time.Second)
	if conn, err := net.DialTimeout("tcp", pp, time.Second); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after the server stopped", pp)
	}
}

// TestPprofOffByDefault: without pprof_addr the server opens no listener
// but its API one, so nothing answers /debug/pprof/ anywhere.
func TestPprofOffByDefault(t *testing.T) {
	bin := tlsBinary.Path(t)
	api, pp := proc.FreeAddr(t), proc.FreeAddr(t)
	p := proc.Start(t, bin, proc.Options{}, "server", "-config="+pprofConfig(t, api, ""))
	proc.WaitHealthy(t, "http://"+api, 30*time.Second)

	if got, want := listeningPorts(t, p.Pid()), ports(t, api); !slices.Equal(got, want) {
		t.Errorf("the server listens on ports %v, want only the API listener's %v", got, want)
	}
	if conn, err := net.DialTimeout("tcp", pp, time.Second); err == nil {
		conn.Close()
		t.Errorf("something accepts connections on %s without pprof_addr", pp)
	}
	if code, body := get(t, "http://"+api+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("API listener GET /debug/pprof/: %d %q", code, body)
	}
	if strings.Contains(p.Out.String(), "pprof") {
		t.Errorf("the server mentions pprof without pprof_addr:\n%s", p.Out)
	}
}

// TestPprofDevModeFromConfig: dev mode takes pprof_addr from a -config
// file, and the profiles never give away the command line, which holds
// the dev root token here.
func TestPprofDevModeFromConfig(t *testing.T) {
	bin := tlsBinary.Path(t)
	api, pp := proc.FreeAddr(t), proc.FreeAddr(t)
	extra := filepath.Join(t.TempDir(), "pprof.hcl")
	if err := os.WriteFile(extra, []byte(fmt.Sprintf("pprof_addr = %q\n", pp)), 0o600); err != nil {
		t.Fatal(err)
	}
	const rootToken = "s.pprof-test-root-token"
	proc.Start(t, bin, proc.Options{}, "server", "-dev", "-dev-listen-address="+api, "-dev-root-token-id="+rootToken, "-config="+extra)
	proc.WaitHealthy(t, "http://"+api, 30*time.Second)

	if code, body := get(t, "http://"+pp+"/debug/pprof/"); code != http.StatusOK {
		t.Fatalf("pprof index in dev mode: %d %q", code, body)
	}
	for _, path := range []string{"/debug/pprof/cmdline", "/debug/pprof/goroutine?debug=2", "/debug/pprof/heap?debug=1"} {
		if _, body := get(t, "http://"+pp+path); bytes.Contains(body, []byte(rootToken)) {
			t.Errorf("GET %s shows the root token given on the command line", path)
		}
	}
}

// ports are the sorted port numbers of the host:port addresses.
func ports(t *testing.T, addrs ...string) []int {
	t.Helper()
	var out []int
	for _, a := range addrs {
		_, port, err := net.SplitHostPort(a)
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(port)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// listeningPorts are the sorted ports of the TCP sockets the process pid
// listens on, from /proc: its socket descriptors matched against the
// kernel's socket tables.
func listeningPorts(t *testing.T, pid int) []int {
	t.Helper()
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var out []int
	for _, table := range []string{"tcp", "tcp6"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			// local_address is f[1] (hex ip:port), st is f[3] (0A is
			// LISTEN), inode is f[9].
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] {
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			port, err := strconv.ParseUint(hexPort, 16, 16)
			if err != nil {
				t.Fatalf("%s: bad local address %q", table, f[1])
			}
			out = append(out, int(port))
		}
	}
	slices.Sort(out)
	return out
}
