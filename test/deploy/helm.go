package deploy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/vaultd/vaultd/test/kube"
)

// helmModuleDir is the module that pins Helm, relative to the repository root.
const helmModuleDir = "test/deploy/helmtool"

// helmPackage is the Helm command's import path.
const helmPackage = "helm.sh/helm/v3/cmd/helm"

// HelmVersion reads the Helm version that helmtool/go.mod requires.
func HelmVersion(root string) (string, error) {
	return moduleVersion(filepath.Join(root, helmModuleDir, "go.mod"), "helm.sh/helm/v3")
}

// moduleVersion reads the version of module that a go.mod requires.
func moduleVersion(gomod, module string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", fmt.Errorf("helm: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "require"))
		if len(fields) >= 2 && fields[0] == module {
			return fields[1], nil
		}
	}
	return "", fmt.Errorf("helm: %s does not require %s", gomod, module)
}

// helmLdflags stamps the version and the Kubernetes release Helm assumes
// without a cluster (`helm template`, `helm lint`), as Helm's own Makefile
// does: the client-go release v0.N means Kubernetes 1.N.
func helmLdflags(moduleDir, version string) (string, error) {
	clientGo, err := moduleVersion(filepath.Join(moduleDir, "go.mod"), "k8s.io/client-go")
	if err != nil {
		return "", err
	}
	parts := strings.Split(strings.TrimPrefix(clientGo, "v"), ".")
	if len(parts) < 2 || parts[0] != "0" {
		return "", fmt.Errorf("helm: unexpected k8s.io/client-go version %s", clientGo)
	}
	minor := parts[1]
	return strings.Join([]string{
		"-s", "-w",
		"-X", "helm.sh/helm/v3/internal/version.version=" + version,
		"-X", "helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1",
		"-X", "helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=" + minor,
		"-X", "helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1",
		"-X", "helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=" + minor,
	}, " "), nil
}

// HelmCacheDir is where the Helm binary for version is kept: beside the
// Kubernetes binaries, $VAULTD_KUBE_CACHE/helm-<version> or
// <user cache dir>/vaultd-test/helm-<version>.
func HelmCacheDir(version string) (string, error) {
	kubeDir, err := kube.CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(kubeDir), "helm-"+version), nil
}

// EnsureHelm returns the path of a Helm binary built from the pinned
// module, building it first (about two minutes on two cores) when the cache
// is empty or stale. Concurrent callers are serialised by a lock file.
func EnsureHelm(ctx context.Context, logger *slog.Logger) (string, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	root, err := kube.RepoRoot()
	if err != nil {
		return "", err
	}
	version, err := HelmVersion(root)
	if err != nil {
		return "", err
	}
	cache, err := HelmCacheDir(version)
	if err != nil {
		return "", err
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("helm: building it needs the go command: %w", err)
	}
	goVersion, err := exec.CommandContext(ctx, goCmd, "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("helm: go env GOVERSION: %w", err)
	}
	moduleDir := filepath.Join(root, helmModuleDir)
	ldflags, err := helmLdflags(moduleDir, version)
	if err != nil {
		return "", err
	}
	stamp, err := helmStamp(moduleDir, strings.TrimSpace(string(goVersion)), ldflags)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(cache), 0o755); err != nil {
		return "", fmt.Errorf("helm: %w", err)
	}
	unlock, err := lockFile(ctx, cache+".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	bin := filepath.Join(cache, "helm")
	if got, err := os.ReadFile(filepath.Join(cache, "stamp")); err == nil && strings.TrimSpace(string(got)) == stamp {
		if _, err := os.Stat(bin); err == nil {
			return bin, nil
		}
	}
	logger.Info("building helm from the module proxy", "version", version, "dir", cache)
	start := time.Now()
	if err := buildHelm(ctx, goCmd, moduleDir, cache, stamp, ldflags); err != nil {
		return "", err
	}
	logger.Info("built helm", "took", time.Since(start).Round(time.Second))
	return bin, nil
}

// helmStamp hashes what decides the build's output.
func helmStamp(moduleDir, goVersion, ldflags string) (string, error) {
	h := sha256.New()
	for _, name := range []string{"go.mod", "go.sum", "tools.go"} {
		data, err := os.ReadFile(filepath.Join(moduleDir, name))
		if err != nil {
			return "", fmt.Errorf("helm: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
	}
	fmt.Fprintf(h, "go %s\n%s/%s\nldflags %s\n", goVersion, runtime.GOOS, runtime.GOARCH, ldflags)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// buildHelm compiles into a fresh directory and renames it into place, so
// a killed build leaves no half-filled cache.
func buildHelm(ctx context.Context, goCmd, moduleDir, cache, stamp, ldflags string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(cache), filepath.Base(cache)+".build-")
	if err != nil {
		return fmt.Errorf("helm: %w", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-ldflags", ldflags,
		"-o", filepath.Join(tmp, "helm"), helmPackage)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=readonly -buildvcs=false", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("helm: go build %s: %w\n%s", helmPackage, err, tail(out, 30))
	}
	if err := os.WriteFile(filepath.Join(tmp, "stamp"), []byte(stamp+"\n"), 0o644); err != nil {
		return fmt.Errorf("helm: %w", err)
	}
	if err := os.RemoveAll(cache); err != nil {
		return fmt.Errorf("helm: %w", err)
	}
	if err := os.Rename(tmp, cache); err != nil {
		return fmt.Errorf("helm: %w", err)
	}
	return nil
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// lockFile takes an exclusive flock on path for as long as ctx allows.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("helm: %w", err)
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
			return nil, fmt.Errorf("helm: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("helm: waiting for %s: %w", path, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}
