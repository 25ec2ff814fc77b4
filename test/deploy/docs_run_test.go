package deploy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/test/proc"
)

// docAddr is the address the docs use for a local server; every block's
// text has it replaced by a free port of the test's.
const docAddr = "127.0.0.1:8200"

// stepTimeout bounds one block.
const stepTimeout = 3 * time.Minute

// docRun runs the marked blocks of one page in order, in one temporary
// working directory, carrying shell variables from block to block as a
// person's terminal would.
type docRun struct {
	t       *testing.T
	name    string
	root    string // repository root, for in-repo blocks
	work    string
	addr    string
	env     []string
	subst   []string // old, new pairs applied to every block
	state   string
	lastOut string
	cluster *kube.Cluster
	servers []*bgProc
}

// bgProc is a server block running in its own process group.
type bgProc struct {
	cmd  *exec.Cmd
	out  *proc.Output
	done chan struct{}
}

// newDocRun prepares a run: a work directory, a free port standing in for
// 127.0.0.1:8200, and an environment with binDir first on PATH, HOME in
// the work directory and no VAULT_* variables of the caller's.
func newDocRun(t *testing.T, name, root, binDir string) *docRun {
	t.Helper()
	work := t.TempDir()
	addr := freeAddr(t)
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "VAULT_") || k == "HOME" || k == "PATH" || k == "GOBIN" {
			continue
		}
		env = append(env, kv)
	}
	gocache, _ := exec.Command("go", "env", "GOCACHE").Output()
	gomodcache, _ := exec.Command("go", "env", "GOMODCACHE").Output()
	env = append(env,
		"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+work,
		"GOBIN="+binDir,
		"GOCACHE="+strings.TrimSpace(string(gocache)),
		"GOMODCACHE="+strings.TrimSpace(string(gomodcache)),
		"VAULT_DEV_LISTEN_ADDRESS="+addr,
		"DOCTEST_STATE="+filepath.Join(work, ".doctest-state"),
	)
	r := &docRun{
		t: t, name: name, root: root, work: work, addr: addr, env: env,
		state: filepath.Join(work, ".doctest-state"),
		subst: []string{docAddr, addr},
	}
	t.Cleanup(r.stopServers)
	return r
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// setEnv adds or replaces a variable for every later block.
func (r *docRun) setEnv(k, v string) {
	r.env = append(r.env, k+"="+v)
}

func (r *docRun) substitute(s string) string {
	for i := 0; i+1 < len(r.subst); i += 2 {
		s = strings.ReplaceAll(s, r.subst[i], r.subst[i+1])
	}
	return s
}

// run executes every step, stopping at the first failure.
func (r *docRun) run(steps []step) {
	r.t.Helper()
	ran := 0
	for _, s := range steps {
		where := fmt.Sprintf("%s:%d", r.name, s.line)
		var err error
		switch s.kind {
		case "skip":
			continue
		case "run", "fails":
			err = r.shellStep(s, s.text)
		case "go":
			err = r.goStep(s)
		case "server":
			err = r.serverStep(s)
		case "output":
			if err = matchOutput(r.substitute(s.text), r.lastOut); err != nil {
				err = fmt.Errorf("%w\n--- output was:\n%s", err, r.lastOut)
			}
		case "config":
			err = r.configStep(s)
		case "kube":
			err = r.kubeStep(s)
		}
		if err != nil {
			r.t.Fatalf("%s (%s block): %v", where, s.kind, err)
		}
		ran++
	}
	r.t.Logf("%s: %d blocks checked", r.name, ran)
}

// The prelude and epilogue around each shell block: strict mode, the
// variables the previous blocks left, and saving this block's variables.
const (
	prelude = "set -euo pipefail\nif [ -f \"$DOCTEST_STATE\" ]; then source \"$DOCTEST_STATE\"; fi\n"
	// Read-only and bash-internal variables cannot be sourced back.
	epilogue = "\ndeclare -p | grep -Ev '^declare -[-a-zA-Z]*r' " +
		"| grep -Ev '^declare -[-a-zA-Z]* (BASH[A-Z_]*|FUNCNAME|PIPESTATUS|GROUPS|DIRSTACK|RANDOM|SRANDOM|SECONDS|LINENO|HISTCMD|EPOCH[A-Z]*|OPTIND|OPTERR|SHLVL|_|PWD|OLDPWD|COLUMNS|LINES|IFS|PS[0-9]|HOSTNAME|HOSTTYPE|MACHTYPE|OSTYPE|PPID|UID|EUID)(=|$)' " +
		"> \"$DOCTEST_STATE.new\"\nmv \"$DOCTEST_STATE.new\" \"$DOCTEST_STATE\"\n"
)

func (r *docRun) shellStep(s step, text string) error {
	ctx, cancel := context.WithTimeout(r.t.Context(), stepTimeout)
	defer cancel()
	script := filepath.Join(r.work, fmt.Sprintf(".block-%d.sh", s.line))
	body := prelude + r.substitute(text) + epilogue
	if err := os.WriteFile(script, []byte(body), 0o600); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Dir = r.work
	if s.inRepo {
		cmd.Dir = r.root
	}
	cmd.Env = r.env
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	r.lastOut = string(out)
	switch {
	case s.kind == "fails" && err == nil:
		return fmt.Errorf("the block succeeded but the page says it fails:\n%s", out)
	case s.kind == "fails":
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return fmt.Errorf("the block did not run: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("%w\n--- output:\n%s", err, out)
	}
	return nil
}

// goStep writes the program into a module of its own that requires the
// same vault/api version as vaultd, and runs it with `go run`.
func (r *docRun) goStep(s step) error {
	dir := filepath.Join(r.work, fmt.Sprintf("goexample-%d", s.line))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	apiVersion, err := requiredVersion(filepath.Join(r.root, "go.mod"), "github.com/hashicorp/vault/api")
	if err != nil {
		return err
	}
	gomod := fmt.Sprintf("module example.com/doctest\n\ngo 1.26\n\nrequire github.com/hashicorp/vault/api %s\n", apiVersion)
	sum, err := os.ReadFile(filepath.Join(r.root, "go.sum"))
	if err != nil {
		return err
	}
	files := map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main.go": []byte(r.substitute(s.text))}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return r.shellStep(step{kind: "run", line: s.line}, fmt.Sprintf("cd %q\nGOFLAGS=-mod=mod go run .\n", dir))
}

func requiredVersion(gomod, module string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require"))
		if len(f) >= 2 && f[0] == module {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("%s does not require %s", gomod, module)
}

// serverStep starts the block in the background, as the page's "in a
// terminal of its own", after stopping any server an earlier block started,
// and waits until the server answers.
func (r *docRun) serverStep(s step) error {
	r.stopServers()
	script := filepath.Join(r.work, fmt.Sprintf(".server-%d.sh", s.line))
	if err := os.WriteFile(script, []byte(prelude+r.substitute(s.text)), 0o600); err != nil {
		return err
	}
	out := &proc.Output{}
	cmd := exec.Command("bash", script)
	cmd.Dir = r.work
	cmd.Env = r.env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &bgProc{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	r.servers = append(r.servers, p)
	if err := waitAnswering(r.t.Context(), "http://"+r.addr, p.done, 20*time.Second); err != nil {
		return fmt.Errorf("%w\n--- server output:\n%s", err, out.String())
	}
	r.lastOut = out.String()
	return nil
}

// waitAnswering polls sys/health until the server answers with any status.
func waitAnswering(ctx context.Context, base string, exited <-chan struct{}, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("the server exited")
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/sys/health", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no answer from %s within %s", base, limit)
}

// stopServers sends SIGINT (Ctrl-C) to each server's process group and
// waits for it to exit.
func (r *docRun) stopServers() {
	for _, p := range r.servers {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
	r.servers = nil
}

func (r *docRun) configStep(s step) error {
	dir := filepath.Join(r.work, fmt.Sprintf("config-%d", s.line))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name := filepath.Join(dir, "config.hcl")
	if s.lang == "json" {
		name = filepath.Join(dir, "config.json")
	}
	if err := os.WriteFile(name, []byte(s.text), 0o600); err != nil {
		return err
	}
	if _, err := config.LoadFiles([]string{name}); err != nil {
		return fmt.Errorf("vaultd refuses the example configuration: %w", err)
	}
	return nil
}

func (r *docRun) kubeStep(s step) error {
	if r.cluster == nil {
		return errors.New("the page has a kube block but its test gave it no API server")
	}
	file := filepath.Join(r.work, fmt.Sprintf("manifest-%d.yaml", s.line))
	if err := os.WriteFile(file, []byte(s.text), 0o600); err != nil {
		return err
	}
	out, err := r.cluster.Kubectl(r.t.Context(), "apply", "--dry-run=server", "--validate=strict", "-f", file)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	return nil
}
