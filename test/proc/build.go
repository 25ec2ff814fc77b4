package proc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Binary builds a Go main package once and hands its path to every test
// that asks. Keep one per test package, as a variable of TestMain or of
// the test file: the first caller pays for the build.
type Binary struct {
	// Package is the import path to build; cmd/vaultd when empty.
	Package string

	once sync.Once
	path string
	err  error
}

// VaultdPackage is the import path of the vaultd binary.
const VaultdPackage = "github.com/vaultd/vaultd/cmd/vaultd"

// Path builds the binary the first time and returns its path; a failed
// build fails every test that asks.
func (b *Binary) Path(t testing.TB) string {
	t.Helper()
	b.once.Do(b.build)
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func (b *Binary) build() {
	pkg := b.Package
	if pkg == "" {
		pkg = VaultdPackage
	}
	dir, err := os.MkdirTemp("", "vaultd-bin-")
	if err != nil {
		b.err = fmt.Errorf("proc: temp dir: %w", err)
		return
	}
	b.path = filepath.Join(dir, filepath.Base(pkg))
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	out, err := exec.Command(goCmd, "build", "-o", b.path, pkg).CombinedOutput()
	if err != nil {
		b.err = fmt.Errorf("proc: go build %s: %w\n%s", pkg, err, out)
	}
}
