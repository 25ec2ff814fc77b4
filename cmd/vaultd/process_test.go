package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/vaultd/vaultd/test/proc"
)

// These tests run the real binary as a child process: signals, mlock and
// exit codes are properties of the process, not of any function.

type builtBinary struct {
	once sync.Once
	path string
	err  error
}

func (b *builtBinary) get(t *testing.T) string {
	t.Helper()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "vaultd-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "vaultd")
		out, err := exec.Command("go", "build", "-o", b.path, ".").CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func writeConfig(t *testing.T, dir, addr, level string, mlock bool) string {
	t.Helper()
	path := filepath.Join(dir, "config.hcl")
	text := fmt.Sprintf(`storage "bbolt" { path = %q }
listener "tcp" {
  address     = %q
  tls_disable = true
}
log_level     = %q
disable_mlock = %v
`, filepath.Join(dir, "data"), addr, level, !mlock)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/v1/sys/health")
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server on %s never answered", addr)
}

var binary builtBinary

func TestSignalsReloadAndDrain(t *testing.T) {
	bin := binary.get(t)
	dir := t.TempDir()
	addr := freePort(t)
	conf := writeConfig(t, dir, addr, "info", false)
	var logs proc.Output
	cmd := exec.Command(bin, "server", "-config="+conf)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	waitHealthy(t, addr)

	probe := func() {
		resp, err := http.Get("http://" + addr + "/v1/sys/seal-status")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	probe()
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(logs.String(), "sys/seal-status") {
		t.Fatalf("a request was logged at info level:\n%s", logs.String())
	}

	// SIGHUP re-reads log_level from the config file.
	writeConfig(t, dir, addr, "debug", false)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "reloaded") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	probe()
	time.Sleep(100 * time.Millisecond)
	if !strings.Contains(logs.String(), "sys/seal-status") {
		t.Fatalf("after SIGHUP to debug, requests are still not logged:\n%s", logs.String())
	}

	// SIGTERM drains and closes bbolt cleanly: exit 0, file not locked.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
	}
	db, err := bolt.Open(filepath.Join(dir, "data"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("data file not closed cleanly: %v", err)
	}
	defer db.Close()
	if err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}); err != nil {
		t.Fatalf("data file check: %v", err)
	}
}

func TestMlockRefusedFailsStartup(t *testing.T) {
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed: cannot drop CAP_IPC_LOCK to make mlockall fail")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit (util-linux) is not installed")
	}
	bin := binary.get(t)
	dir := t.TempDir()
	conf := writeConfig(t, dir, freePort(t), "info", true)
	cmd := exec.Command(prlimit, "--memlock=0:0", setpriv, "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock", bin, "server", "-config="+conf)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("server started although mlockall must fail:\n%s", out)
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v", err)
	}
	for _, want := range []string{"IPC_LOCK", "disable_mlock"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("start-up error does not name %s:\n%s", want, out)
		}
	}
}

func TestDevServerBanner(t *testing.T) {
	bin := binary.get(t)
	addr := freePort(t)
	cmd := exec.Command(bin, "server", "-dev", "-dev-root-token-id=devroot", "-dev-listen-address="+addr)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var banner []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && len(banner) < 30 {
		banner = append(banner, sc.Text())
		if strings.HasPrefix(sc.Text(), "Root Token:") {
			break
		}
	}
	text := strings.Join(banner, "\n")
	for _, want := range []string{"VAULT_ADDR='http://" + addr + "'", "Unseal Key: ", "Root Token: devroot", "NOTHING"} {
		if !strings.Contains(text, want) {
			t.Errorf("banner lacks %q:\n%s", want, text)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/secret/config", nil)
	req.Header.Set("X-Vault-Token", "devroot")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("dev mode has no KV v2 at secret/: %d", resp.StatusCode)
	}
}

// TestUnsealCeremonyWithTheBinary runs the ceremony as an operator does
// through `kubectl exec`: the same binary as client, against a real server
// on bbolt.
func TestUnsealCeremonyWithTheBinary(t *testing.T) {
	bin := binary.get(t)
	dir := t.TempDir()
	addr := freePort(t)
	conf := writeConfig(t, dir, addr, "info", false)
	srv := exec.Command(bin, "server", "-config="+conf)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	waitHealthy(t, addr)
	home := t.TempDir() // no ~/.vault-token from the machine

	client := func(env []string, args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), append([]string{"HOME=" + home, "VAULT_ADDR=http://" + addr, "VAULT_TOKEN="}, env...)...)
		out, err := cmd.CombinedOutput()
		code := 0
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code = exitErr.ExitCode()
		} else if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return string(out), code
	}
	if out, code := client(nil, "status"); code != 2 || !strings.Contains(out, "Initialized") {
		t.Fatalf("status before init: exit %d\n%s", code, out)
	}
	out, code := client(nil, "operator", "init", "-key-shares=3", "-key-threshold=2", "-format=json")
	if code != 0 {
		t.Fatalf("operator init: exit %d\n%s", code, out)
	}
	var init struct {
		Keys      []string `json:"unseal_keys_b64"`
		RootToken string   `json:"root_token"`
	}
	if err := json.Unmarshal([]byte(out), &init); err != nil || len(init.Keys) != 3 || init.RootToken == "" {
		t.Fatalf("operator init output: %v\n%s", err, out)
	}
	if out, code := client(nil, "operator", "unseal", init.Keys[2]); code != 0 || !strings.Contains(out, "Unseal Progress") {
		t.Fatalf("first share: exit %d\n%s", code, out)
	}
	// The second share comes from standard input, as from a terminal.
	cmd := exec.Command(bin, "operator", "unseal")
	cmd.Env = append(os.Environ(), "HOME="+home, "VAULT_ADDR=http://"+addr)
	cmd.Stdin = strings.NewReader(init.Keys[0] + "\n")
	if out, err := cmd.CombinedOutput(); err != nil || strings.Contains(string(out), init.Keys[0]) {
		t.Fatalf("second share from stdin: %v\n%s", err, out)
	}
	if out, code := client(nil, "status"); code != 0 || !strings.Contains(out, "false") {
		t.Fatalf("status after unseal: exit %d\n%s", code, out)
	}
	if out, code := client(nil, "operator", "seal"); code != 2 {
		t.Fatalf("seal without a token: exit %d\n%s", code, out)
	}
	if out, code := client([]string{"VAULT_TOKEN=" + init.RootToken}, "operator", "seal"); code != 0 {
		t.Fatalf("seal with the root token: exit %d\n%s", code, out)
	}
	if out, code := client(nil, "status"); code != 2 {
		t.Fatalf("status after seal: exit %d\n%s", code, out)
	}
}
