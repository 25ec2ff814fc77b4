package deploy

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaultd/vaultd/test/kube"
)

// cluster is the API server shared by this package's dry-run tests.
var cluster kube.Shared

// vaultdBinary is the binary built once, the way the Dockerfile builds it,
// for every test that runs vaultd.
var vaultdBinary onceBuild

func TestMain(m *testing.M) {
	code := m.Run()
	cluster.Stop()
	vaultdBinary.cleanup()
	os.Exit(code)
}

// repoRoot is the repository's root directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := kube.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// onceBuild builds vaultd once per test binary.
type onceBuild struct {
	once sync.Once
	dir  string
	path string
	cmd  []string
	err  error
}

func (b *onceBuild) get(t testing.TB) (bin string, cmd []string) {
	t.Helper()
	b.once.Do(func() {
		root := repoRoot(t)
		img, err := readDockerfile(filepath.Join(root, "Dockerfile"))
		if err != nil {
			b.err = err
			return
		}
		b.dir, b.err = os.MkdirTemp("", "vaultd-deploy-bin-")
		if b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "vaultd")
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		defer cancel()
		b.cmd, b.err = buildLikeDockerfile(ctx, root, img, b.path)
	})
	if b.err != nil {
		t.Fatalf("build vaultd as the Dockerfile does: %v", b.err)
	}
	return b.path, b.cmd
}

func (b *onceBuild) cleanup() {
	if b.dir != "" {
		os.RemoveAll(b.dir)
	}
}

// buildLikeDockerfile runs the Dockerfile's `go build` from the repository
// root with the same flags and environment, writing the binary to out. It
// returns the command line it ran.
func buildLikeDockerfile(ctx context.Context, root string, img *dockerImage, out string) ([]string, error) {
	args := []string{"build"}
	words := img.build[2:]
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-o":
			i++ // the Dockerfile's output path; ours replaces it
			continue
		case strings.HasPrefix(w, "-o="):
			continue
		}
		args = append(args, w)
	}
	args = append([]string{"build", "-o", out}, args[1:]...)
	env := os.Environ()
	for k, v := range img.env {
		if strings.Contains(v, "$") {
			continue // a build ARG with no default, e.g. $TARGETARCH: the host's value
		}
		env = append(env, k+"="+v)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return append([]string{"go"}, args...), nil
}

// staticProblems lists what makes an ELF file dynamically linked.
func staticProblems(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var problems []string
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			problems = append(problems, "has a PT_INTERP program header (needs a dynamic loader)")
		case elf.PT_DYNAMIC:
			problems = append(problems, "has a PT_DYNAMIC program header")
		}
	}
	if s := f.Section(".dynamic"); s != nil {
		problems = append(problems, "has a .dynamic section")
	}
	if s := f.Section(".interp"); s != nil {
		problems = append(problems, "has an .interp section")
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		problems = append(problems, fmt.Sprintf("imports shared libraries %v", libs))
	}
	return problems, nil
}

// skipUnlessLinux: the static-binary and process checks read ELF files and
// /proc.
func skipUnlessLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("needs Linux (ELF binaries, /proc); this is %s", runtime.GOOS)
	}
}
