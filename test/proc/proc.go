package proc

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Output collects a child's stdout and stderr while a test reads them.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// String is everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Contains reports whether s has been written.
func (o *Output) Contains(s string) bool { return strings.Contains(o.String(), s) }

// Proc is one running child process.
type Proc struct {
	Cmd *exec.Cmd
	Out *Output

	done chan struct{}
	err  error // Wait's result, once done is closed
}

// Options tune how a child is started.
type Options struct {
	// Env is the child's whole environment; PATH and a temporary HOME when nil.
	Env []string
	// Dir is the working directory.
	Dir string
	// Stdin, when set, feeds the child.
	Stdin *bytes.Reader
	// StopTimeout bounds the SIGTERM at cleanup before SIGKILL (10 s when zero).
	StopTimeout time.Duration
}

// Start runs bin with args in its own process group. When the test ends
// the group gets SIGTERM, then SIGKILL if it has not exited in time.
func Start(t testing.TB, bin string, opts Options, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	p := &Proc{Cmd: cmd, Out: &Output{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Out, p.Out
	cmd.Env = opts.Env
	if cmd.Env == nil {
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	}
	cmd.Dir = opts.Dir
	if opts.Stdin != nil {
		cmd.Stdin = opts.Stdin
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("proc: start %s: %v", bin, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	stop := opts.StopTimeout
	if stop == 0 {
		stop = 10 * time.Second
	}
	t.Cleanup(func() { p.stopGroup(stop) })
	return p
}

func (p *Proc) stopGroup(timeout time.Duration) {
	if p.Exited() {
		return
	}
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Pid is the child's process ID.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the child has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the child alone.
func (p *Proc) Signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		t.Fatalf("proc: signal %v: %v", sig, err)
	}
}

// Wait waits up to timeout for the child to exit and returns Wait's error
// (nil for exit status 0); it fails the test on a timeout.
func (p *Proc) Wait(t testing.TB, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("proc: %s still running after %v:\n%s", p.Cmd.Path, timeout, p.Out)
		return nil
	}
}

// ExitCode is the child's exit status once it has exited, -1 before or
// when a signal killed it.
func (p *Proc) ExitCode() int {
	if !p.Exited() {
		return -1
	}
	return p.Cmd.ProcessState.ExitCode()
}

// Kill sends SIGKILL and waits for the child to die of it.
func (p *Proc) Kill(t testing.TB) {
	t.Helper()
	p.Signal(t, syscall.SIGKILL)
	<-p.done
	ws, ok := p.Cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("proc: did not die of SIGKILL: %v\n%s", p.err, p.Out)
	}
}

// Stop sends SIGTERM and requires a clean exit within timeout.
func (p *Proc) Stop(t testing.TB, timeout time.Duration) {
	t.Helper()
	p.Signal(t, syscall.SIGTERM)
	if err := p.Wait(t, timeout); err != nil {
		t.Fatalf("proc: exited with %v after SIGTERM:\n%s", err, p.Out)
	}
}

// FreeAddr returns a loopback address "127.0.0.1:port" that was free a
// moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proc: free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// WaitHealthy polls base + "/v1/sys/health" until the server answers with
// any status (sealed and uninitialised answers count), or fails the test
// after timeout. base is a URL such as "http://127.0.0.1:8200".
func WaitHealthy(t testing.TB, base string, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := client.Get(base + "/v1/sys/health")
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("proc: %s never answered sys/health in %v", base, timeout)
}
