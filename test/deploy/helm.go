package deploy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/test/toolcache"
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
	dir, err := HelmCacheDir(version)
	if err != nil {
		return "", err
	}
	cache := toolcache.Cache{Dir: dir, Prefix: "helm"}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("helm: building it needs the go command: %w", err)
	}
	goVersion, err := cache.GoVersion(ctx, goCmd)
	if err != nil {
		return "", err
	}
	moduleDir := filepath.Join(root, helmModuleDir)
	ldflags, err := helmLdflags(moduleDir, version)
	if err != nil {
		return "", err
	}
	stamp, err := cache.Stamp(moduleDir, []string{"go.mod", "go.sum", "tools.go"},
		"go "+goVersion, runtime.GOOS+"/"+runtime.GOARCH, "ldflags "+ldflags)
	if err != nil {
		return "", err
	}
	unlock, err := cache.Lock(ctx)
	if err != nil {
		return "", err
	}
	defer unlock()
	bin := filepath.Join(dir, "helm")
	if cache.Current(stamp, bin) {
		return bin, nil
	}
	logger.Info("building helm from the module proxy", "version", version, "dir", dir)
	start := time.Now()
	err = cache.Build(stamp, func(tmp string) error {
		cmd := toolcache.GoCommand(ctx, goCmd, moduleDir, "build", "-trimpath", "-ldflags", ldflags,
			"-o", filepath.Join(tmp, "helm"), helmPackage)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("helm: go build %s: %w\n%s", helmPackage, err, toolcache.Tail(out, 30))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	logger.Info("built helm", "took", time.Since(start).Round(time.Second))
	return bin, nil
}
