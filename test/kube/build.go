package kube

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Version is the Kubernetes release the harness builds and runs.
const Version = "v1.35.4"

// CacheEnv names the environment variable that overrides the directory
// under which the built binaries are cached.
const CacheEnv = "VAULTD_KUBE_CACHE"

// buildModuleDir is the test-only module, relative to the repository root.
const buildModuleDir = "test/kube/apiserver"

// Binaries are the paths of the programs a cluster runs.
type Binaries struct {
	Etcd          string
	KubeAPIServer string
	Kubectl       string
	// Dir is the cache directory holding them.
	Dir string
}

// ldflags stamps the version into the Kubernetes binaries the way the
// project's own release builds do; without it they report v0.0.0 and the
// API server's compatibility-version checks refuse to start.
func ldflags() string {
	major, minor := "1", "35"
	parts := []string{"-s", "-w"}
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		parts = append(parts,
			"-X", pkg+".gitVersion="+Version,
			"-X", pkg+".gitMajor="+major,
			"-X", pkg+".gitMinor="+minor,
			"-X", pkg+".gitTreeState=clean",
			"-X", pkg+".buildDate=1970-01-01T00:00:00Z",
		)
	}
	return strings.Join(parts, " ")
}

// RepoRoot finds the root of the vaultd repository: the nearest directory,
// from this source file or else from the working directory upwards, that
// holds the harness's build module.
func RepoRoot() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for {
			if _, err := os.Stat(filepath.Join(dir, buildModuleDir, "go.mod")); err == nil {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("kube harness: cannot find %s/go.mod above %v", buildModuleDir, starts)
}

// CacheDir is where the binaries for Version are kept:
// $VAULTD_KUBE_CACHE/kube-<version>, else <user cache dir>/vaultd-test/kube-<version>
// (<user cache dir> is $XDG_CACHE_HOME or $HOME/.cache, else the temp dir).
func CacheDir() (string, error) {
	root := os.Getenv(CacheEnv)
	if root == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir() // no $HOME: still outside the work tree
		}
		root = filepath.Join(base, "vaultd-test")
	}
	return filepath.Join(root, "kube-"+Version), nil
}

// buildStamp hashes everything that decides what the build produces, so a
// change to the pinned module or the toolchain triggers a rebuild.
func buildStamp(moduleDir, goVersion string) (string, error) {
	h := sha256.New()
	for _, name := range []string{"go.mod", "go.sum", "tools.go"} {
		data, err := os.ReadFile(filepath.Join(moduleDir, name))
		if err != nil {
			return "", fmt.Errorf("kube harness: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
	}
	fmt.Fprintf(h, "ldflags %s\ngo %s\n%s/%s\n", ldflags(), goVersion, runtime.GOOS, runtime.GOARCH)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// goTool finds the go command; `go test` puts its own first in PATH.
func goTool() (string, error) {
	p, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("kube harness: no go command in PATH: %w", err)
	}
	return p, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// EnsureBinaries returns the cached binaries, building them first when the
// cache is empty or was built from other inputs. Concurrent callers (test
// packages run in parallel) are serialised by a lock file, so only one
// builds. A build takes several minutes of CPU and about 2 GB of memory;
// its output goes to build.log in the cache directory.
func EnsureBinaries(ctx context.Context, logger *slog.Logger) (Binaries, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	root, err := RepoRoot()
	if err != nil {
		return Binaries{}, err
	}
	moduleDir := filepath.Join(root, buildModuleDir)
	cache, err := CacheDir()
	if err != nil {
		return Binaries{}, err
	}
	goCmd, err := goTool()
	if err != nil {
		return Binaries{}, err
	}
	goVersion, err := exec.CommandContext(ctx, goCmd, "env", "GOVERSION").Output()
	if err != nil {
		return Binaries{}, fmt.Errorf("kube harness: go env GOVERSION: %w", err)
	}
	stamp, err := buildStamp(moduleDir, strings.TrimSpace(string(goVersion)))
	if err != nil {
		return Binaries{}, err
	}
	bins := Binaries{
		Dir:           cache,
		Etcd:          filepath.Join(cache, "etcd"),
		KubeAPIServer: filepath.Join(cache, "kube-apiserver"),
		Kubectl:       filepath.Join(cache, "kubectl"),
	}
	if err := os.MkdirAll(filepath.Dir(cache), 0o755); err != nil {
		return Binaries{}, fmt.Errorf("kube harness: %w", err)
	}
	unlock, err := lockFile(ctx, cache+".lock")
	if err != nil {
		return Binaries{}, err
	}
	defer unlock()

	if current(bins, stamp) {
		return bins, nil
	}
	logger.Info("building Kubernetes test binaries; this takes several minutes", "version", Version, "dir", cache)
	start := time.Now()
	if err := build(ctx, goCmd, moduleDir, cache, stamp); err != nil {
		return Binaries{}, err
	}
	logger.Info("built Kubernetes test binaries", "took", time.Since(start).Round(time.Second))
	return bins, nil
}

func current(b Binaries, stamp string) bool {
	got, err := os.ReadFile(filepath.Join(b.Dir, "stamp"))
	if err != nil || strings.TrimSpace(string(got)) != stamp {
		return false
	}
	return fileExists(b.Etcd) && fileExists(b.KubeAPIServer) && fileExists(b.Kubectl)
}

// build compiles into a fresh directory beside the cache and renames it into
// place, so a killed build never leaves a half-filled cache behind.
func build(ctx context.Context, goCmd, moduleDir, cache, stamp string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(cache), filepath.Base(cache)+".build-")
	if err != nil {
		return fmt.Errorf("kube harness: %w", err)
	}
	defer os.RemoveAll(tmp)
	logPath := filepath.Join(tmp, "build.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("kube harness: %w", err)
	}
	defer logFile.Close()

	steps := [][]string{
		{"build", "-trimpath", "-ldflags", ldflags(), "-o", tmp + string(filepath.Separator),
			"k8s.io/kubernetes/cmd/kube-apiserver", "k8s.io/kubernetes/cmd/kubectl"},
		{"build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(tmp, "etcd"), "go.etcd.io/etcd/server/v3"},
	}
	for _, args := range steps {
		cmd := exec.CommandContext(ctx, goCmd, args...)
		cmd.Dir = moduleDir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=readonly -buildvcs=false", "GOWORK=off")
		cmd.Stdout = logFile
		cmd.Stderr = logFile
		if err := cmd.Run(); err != nil {
			tail, _ := os.ReadFile(logPath)
			return fmt.Errorf("kube harness: go %s: %w\n%s", strings.Join(args[:1], " "), err, lastLines(tail, 30))
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("kube harness: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "stamp"), []byte(stamp+"\n"), 0o644); err != nil {
		return fmt.Errorf("kube harness: %w", err)
	}
	if err := os.RemoveAll(cache); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("kube harness: %w", err)
	}
	if err := os.Rename(tmp, cache); err != nil {
		return fmt.Errorf("kube harness: %w", err)
	}
	return nil
}

func lastLines(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// lockFile takes an exclusive flock on path, waiting for as long as ctx
// allows; another package's build of the same binaries holds it.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("kube harness: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("kube harness: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("kube harness: waiting for %s: %w", path, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}
