//go:build unix

package crash

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	bolt "go.etcd.io/bbolt"

	"github.com/vaultd/vaultd/test/proc"
	"github.com/vaultd/vaultd/vaulttest"
)

// buildVaultd compiles cmd/vaultd once into a temporary directory.
func buildVaultd(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "vaultd")
	cmd := exec.Command(goCmd, "build", "-o", bin, "github.com/vaultd/vaultd/cmd/vaultd")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build vaultd: %v\n%s", err, out)
	}
	return bin
}

// writeConfig writes a server config for a bbolt file in dir and a
// loopback listener on a port the kernel picks, or (backend "raft") for a
// one-node Raft cluster in dir/data with fixed free ports, since api_addr
// and cluster_addr must name them. dataPath is the bbolt file holding the
// data either way (for raft, the FSM's file).
func writeConfig(t *testing.T, dir, backend string) (configPath, dataPath string) {
	t.Helper()
	dataPath = filepath.Join(dir, "vaultd.db")
	configPath = filepath.Join(dir, "vaultd.hcl")
	conf := fmt.Sprintf(`storage "bbolt" {
  path = %s
}
listener "tcp" {
  address     = "127.0.0.1:0"
  tls_disable = true
}
disable_mlock = true
log_level     = "info"
`, strconv.Quote(dataPath))
	if backend == "raft" {
		raftDir := filepath.Join(dir, "data")
		dataPath = filepath.Join(raftDir, "vaultd.db")
		addr, clusterAddr := proc.FreeAddr(t), proc.FreeAddr(t)
		conf = fmt.Sprintf(`storage "raft" {
  path    = %s
  node_id = "crash-0"
  performance_multiplier = 1
}
listener "tcp" {
  address     = %q
  tls_disable = true
}
api_addr      = "http://%s"
cluster_addr  = "https://%s"
disable_mlock = true
log_level     = "info"
`, strconv.Quote(raftDir), addr, addr, clusterAddr)
	}
	if err := os.WriteFile(configPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return configPath, dataPath
}

// startedLine is the log line that names the listener's address.
var startedLine = regexp.MustCompile(`msg="vaultd server started" addr=(\S+)`)

// logWatch collects a child's output and reports the address it logs.
type logWatch struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	addr  string
	found chan struct{}
}

func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.addr == "" {
		if m := startedLine.FindSubmatch(w.buf.Bytes()); m != nil {
			w.addr = string(m[1])
			close(w.found)
		}
	}
	return len(p), nil
}

func (w *logWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// server is one running vaultd child process.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	log    *logWatch
	exited chan struct{}
	err    error // the Wait result, once exited is closed
	Addr   string
}

// startServer runs `vaultd server -config=...` and waits until it logs its
// address. The process is killed when the test ends if still running.
func startServer(t *testing.T, bin, configPath string) *server {
	t.Helper()
	w := &logWatch{found: make(chan struct{})}
	cmd := exec.Command(bin, "server", "-config="+configPath)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatalf("start vaultd: %v", err)
	}
	s := &server{t: t, cmd: cmd, log: w, exited: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
	})
	select {
	case <-w.found:
		s.Addr = w.addr
		return s
	case <-s.exited:
		t.Fatalf("vaultd exited before serving: %v\n%s", s.err, w)
	case <-time.After(30 * time.Second):
		t.Fatalf("vaultd did not log its address in 30s:\n%s", w)
	}
	return nil
}

// kill sends SIGKILL and waits for the process to die of it.
func (s *server) kill() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatalf("SIGKILL: %v", err)
	}
	<-s.exited
	ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		s.t.Fatalf("vaultd did not die of SIGKILL: %v\n%s", s.err, s.log)
	}
}

// stop sends SIGTERM and requires a clean exit.
func (s *server) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.t.Fatalf("vaultd did not stop in 30s after SIGTERM:\n%s", s.log)
	}
	if s.err != nil {
		s.t.Fatalf("vaultd exited with %v after SIGTERM:\n%s", s.err, s.log)
	}
}

// client returns a Vault API client for s holding token (see
// vaulttest.NewClient: no retries, a pool for 64 writers).
func (s *server) client(token string) *api.Client {
	s.t.Helper()
	return vaulttest.NewClient(s.t, s.Addr, token)
}

// unseal gives the share and requires the server to be unsealed.
func (s *server) unseal(c *api.Client, share string) {
	s.t.Helper()
	st, err := c.Sys().Unseal(share)
	if err != nil {
		s.t.Fatalf("unseal: %v\n%s", err, s.log)
	}
	if st.Sealed {
		s.t.Fatalf("still sealed after the unseal share: %+v", st)
	}
}

// checkDataFile opens the bbolt file of a stopped server and runs bbolt's
// consistency check over every page, requiring no error and a non-empty
// vaultd bucket.
func checkDataFile(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open %s after the crash: %v", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			return fmt.Errorf("bbolt check: %w", errors.Join(errs...))
		}
		b := tx.Bucket([]byte("vaultd"))
		if b == nil || b.Stats().KeyN == 0 {
			return errors.New("the vaultd bucket is missing or empty")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// checkBoltFile runs bbolt's consistency check over a stopped server's
// bbolt file that holds no vaultd bucket (the Raft log).
func checkBoltFile(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open %s after the crash: %v", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatalf("%s: bbolt check: %v", path, err)
	}
}
