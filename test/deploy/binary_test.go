package deploy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/test/proc"
)

// TestDockerfileBinaryIsStatic builds vaultd with the Dockerfile's own
// `go build` line and environment (CGO_ENABLED=0) and checks the result
// is a static executable that a FROM scratch image can run: no program
// interpreter, no dynamic section, no shared libraries.
func TestDockerfileBinaryIsStatic(t *testing.T) {
	skipUnlessLinux(t)
	img := dockerImageOf(t)
	if img.env["CGO_ENABLED"] != "0" {
		t.Errorf("the Dockerfile builds with CGO_ENABLED=%q; a static binary needs 0", img.env["CGO_ENABLED"])
	}
	bin, cmd := vaultdBinary.get(t)
	problems, err := staticProblems(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", bin, p)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built with: %s", strings.Join(cmd, " "))
	t.Logf("binary size: %d bytes (%.1f MiB)", fi.Size(), float64(fi.Size())/(1<<20))
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("vaultd version: %v\n%s", err, out)
	}
	t.Logf("vaultd version: %s", strings.TrimSpace(string(out)))
}

// TestStaticCheckSeesDynamicBinaries: the check above fails a binary
// linked against the C library (the test's own `go` is one where cgo is
// on; otherwise any dynamically linked system program will do).
func TestStaticCheckSeesDynamicBinaries(t *testing.T) {
	skipUnlessLinux(t)
	for _, p := range []string{"/bin/sh", "/usr/bin/env", "/bin/ls"} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		problems, err := staticProblems(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(problems) > 0 {
			return
		}
	}
	t.Skip("no dynamically linked program found to check against")
}

// TestProbesAgainstServer starts the built binary with the plain
// manifests' own configuration (storage and address moved to a temporary
// directory and a free port) and asks the probes' exact URLs in every
// state: uninitialised, sealed, unsealed. Both must succeed in each, so a
// sealed pod is Ready and never restarted. It also reports the idle
// memory of an unsealed server.
func TestProbesAgainstServer(t *testing.T) {
	skipUnlessLinux(t)
	bin, _ := vaultdBinary.get(t)
	o, err := decodeObjects(readManifestDir(t, filepath.Join(repoRoot(t), "deploy", "kubernetes")))
	if err != nil {
		t.Fatal(err)
	}
	c := o.statefulSets[0].Spec.Template.Spec.Containers[0]
	probes := map[string]string{"readiness": c.ReadinessProbe.HTTPGet.Path, "liveness": c.LivenessProbe.HTTPGet.Path}
	addr := freeAddr(t)
	dir := t.TempDir()
	hcl := o.configMaps[0].Data["vaultd.hcl"]
	hcl = strings.Replace(hcl, `"/vault/data"`, strconv.Quote(filepath.Join(dir, "data")), 1)
	hcl = strings.Replace(hcl, `"0.0.0.0:8200"`, strconv.Quote(addr), 1)
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := writeTemp(t, "vaultd.hcl", []byte(hcl))
	srv := startBinary(t, bin, "server", "-config="+cfg)
	base := "http://" + addr
	if err := waitAnswering(t.Context(), base, srv.done, 20*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, srv.out.String())
	}
	expectProbes(t, base, probes, "uninitialised", http.StatusNoContent)
	if code := get(t, base+"/v1/sys/health"); code != http.StatusNotImplemented {
		t.Errorf("plain sys/health while uninitialised = %d, want 501", code)
	}

	client := newClient(t, base)
	init, err := client.Sys().InitWithContext(t.Context(), &api.InitRequest{SecretShares: 5, SecretThreshold: 3})
	if err != nil {
		t.Fatal(err)
	}
	expectProbes(t, base, probes, "sealed", http.StatusNoContent)
	if code := get(t, base+"/v1/sys/health"); code != http.StatusServiceUnavailable {
		t.Errorf("plain sys/health while sealed = %d, want 503", code)
	}
	for _, k := range init.KeysB64[:3] {
		if _, err := client.Sys().UnsealWithContext(t.Context(), k); err != nil {
			t.Fatal(err)
		}
	}
	expectProbes(t, base, probes, "unsealed", http.StatusOK)
	time.Sleep(2 * time.Second) // let start-up garbage be collected
	if rss, err := rssKiB(srv.cmd.Process.Pid); err == nil {
		t.Logf("idle unsealed server (bbolt, audit to stdout): RSS %d KiB (%.1f MiB)", rss, float64(rss)/1024)
	}
}

func expectProbes(t *testing.T, base string, probes map[string]string, state string, want int) {
	t.Helper()
	for name, path := range probes {
		if code := get(t, base+path); code != want {
			t.Errorf("%s probe while %s: %d, want %d", name, state, code, want)
		}
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func newClient(t *testing.T, addr string) *api.Client {
	t.Helper()
	conf := api.DefaultConfig()
	conf.Address = addr
	client, err := api.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	client.SetToken("")
	return client
}

// startBinary runs a program in its own process group, stopped (SIGTERM,
// as the kubelet does) when the test ends.
func startBinary(t *testing.T, bin string, args ...string) *bgProc {
	t.Helper()
	out := &proc.Output{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &bgProc{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(40 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
			t.Errorf("the server did not stop within 40s of SIGTERM")
		}
	})
	return p
}

// rssKiB reads a process's resident set size from /proc.
func rssKiB(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// TestImageRunsAsNonRoot builds the image and checks it runs vaultd as its
// non-root user, where a Docker engine is reachable.
func TestImageRunsAsNonRoot(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no docker client on PATH: the image cannot be built here; the Dockerfile's binary is still checked by TestDockerfileBinaryIsStatic")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, docker, "info").CombinedOutput(); err != nil {
		t.Skipf("no Docker engine reachable (docker info: %v): the image cannot be built here; the Dockerfile's binary is still checked by TestDockerfileBinaryIsStatic\n%s", err, lastLine(out))
	}
	img := dockerImageOf(t)
	tag := "vaultd-deploy-test:" + strconv.FormatInt(time.Now().UnixNano(), 36)
	build := exec.CommandContext(t.Context(), docker, "build", "-t", tag, ".")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(docker, "rmi", "-f", tag).Run() })
	size, _ := exec.Command(docker, "image", "inspect", "-f", "{{.Size}}", tag).Output()
	t.Logf("image size: %s bytes", strings.TrimSpace(string(size)))
	user, err := exec.Command(docker, "image", "inspect", "-f", "{{.Config.User}}", tag).Output()
	if err != nil {
		t.Fatal(err)
	}
	u := strings.TrimSpace(string(user))
	if uid, _, _ := strings.Cut(u, ":"); uid == "" || uid == "0" || uid == "root" {
		t.Fatalf("the image runs as %q", u)
	}
	// Run the dev server and read the uid of the process from the host.
	name := "vaultd-deploy-test-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	run := exec.Command(docker, "run", "-d", "--rm", "--name", name, "--read-only", "--cap-drop=ALL",
		"--security-opt=no-new-privileges", tag, img.binary, "server", "-dev")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("docker run: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(docker, "rm", "-f", name).Run() })
	time.Sleep(2 * time.Second)
	top, err := exec.Command(docker, "top", name, "-o", "uid,comm").CombinedOutput()
	if err != nil {
		t.Fatalf("docker top: %v\n%s", err, top)
	}
	if !strings.Contains(string(top), "vaultd") || strings.Contains(string(top), "\n0 ") {
		t.Fatalf("vaultd is not running as a non-root user:\n%s", top)
	}
	if img.uid >= 0 && !strings.Contains(string(top), strconv.FormatInt(img.uid, 10)) {
		t.Errorf("vaultd does not run as uid %d:\n%s", img.uid, top)
	}
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// TestImageVaultLink lays the built binary out as the image does, with the
// Dockerfile's vault link beside it, and runs both names: the same
// version, and the client commands under the name vault.
func TestImageVaultLink(t *testing.T) {
	skipUnlessLinux(t)
	img := dockerImageOf(t)
	bin, _ := vaultdBinary.get(t)
	root := t.TempDir()
	dir := filepath.Join(root, filepath.Dir(img.binary))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, bin, filepath.Join(root, img.binary))
	found := false
	for link, target := range img.links {
		if filepath.Base(link) != "vault" {
			continue
		}
		found = true
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	if !found {
		t.Fatalf("the Dockerfile links no vault (links: %v)", img.links)
	}
	vault := filepath.Join(dir, "vault")
	want, err := exec.Command(filepath.Join(root, img.binary), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command(vault, "version").Output()
	if err != nil || string(got) != string(want) {
		t.Errorf("vault version = %q (%v), vaultd version = %q", got, err, want)
	}
	cmd := exec.Command(vault, "kv", "get", "-address=http://127.0.0.1:1", "secret/x")
	cmd.Env = []string{"HOME=" + root, "VAULT_MAX_RETRIES=0"}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "connection refused") {
		t.Errorf("vault kv get against nothing: %v\n%s", err, out)
	}
}
