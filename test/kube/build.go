package kube

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/vaultd/vaultd/test/toolcache"
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

// goTool finds the go command; `go test` puts its own first in PATH.
func goTool() (string, error) {
	p, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("kube harness: no go command in PATH: %w", err)
	}
	return p, nil
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
	dir, err := CacheDir()
	if err != nil {
		return Binaries{}, err
	}
	cache := toolcache.Cache{Dir: dir, Prefix: "kube harness"}
	goCmd, err := goTool()
	if err != nil {
		return Binaries{}, err
	}
	goVersion, err := cache.GoVersion(ctx, goCmd)
	if err != nil {
		return Binaries{}, err
	}
	// The stamp hashes everything that decides what the build produces, so
	// a change to the pinned module or the toolchain triggers a rebuild.
	stamp, err := cache.Stamp(moduleDir, []string{"go.mod", "go.sum", "tools.go"},
		"ldflags "+ldflags(), "go "+goVersion, runtime.GOOS+"/"+runtime.GOARCH)
	if err != nil {
		return Binaries{}, err
	}
	bins := Binaries{
		Dir:           dir,
		Etcd:          filepath.Join(dir, "etcd"),
		KubeAPIServer: filepath.Join(dir, "kube-apiserver"),
		Kubectl:       filepath.Join(dir, "kubectl"),
	}
	unlock, err := cache.Lock(ctx)
	if err != nil {
		return Binaries{}, err
	}
	defer unlock()

	if cache.Current(stamp, bins.Etcd, bins.KubeAPIServer, bins.Kubectl) {
		return bins, nil
	}
	logger.Info("building Kubernetes test binaries; this takes several minutes", "version", Version, "dir", dir)
	start := time.Now()
	err = cache.Build(stamp, func(tmp string) error { return build(ctx, goCmd, moduleDir, tmp) })
	if err != nil {
		return Binaries{}, err
	}
	logger.Info("built Kubernetes test binaries", "took", time.Since(start).Round(time.Second))
	return bins, nil
}

// build compiles the binaries into tmp, logging to build.log there, which
// stays in the cache directory.
func build(ctx context.Context, goCmd, moduleDir, tmp string) error {
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
		cmd := toolcache.GoCommand(ctx, goCmd, moduleDir, args...)
		cmd.Stdout = logFile
		cmd.Stderr = logFile
		if err := cmd.Run(); err != nil {
			tail, _ := os.ReadFile(logPath)
			return fmt.Errorf("kube harness: go %s: %w\n%s", strings.Join(args[:1], " "), err, toolcache.Tail(tail, 30))
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("kube harness: %w", err)
	}
	return nil
}
