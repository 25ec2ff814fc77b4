package toolcache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lockPoll is how often Lock tries again while another process holds the
// lock.
const lockPoll = 500 * time.Millisecond

// Cache is one cache directory of built programs.
type Cache struct {
	// Dir is the cache directory. A build replaces it whole.
	Dir string
	// Prefix begins every error message and names the caller, e.g. "helm".
	Prefix string
}

func (c Cache) errorf(format string, args ...any) error {
	return fmt.Errorf(c.Prefix+": "+format, args...)
}

// Stamp hashes the named files of moduleDir (each file's name, length and
// content), then each of lines followed by a newline. lines carry the other
// inputs of the build: the toolchain, the platform, the linker flags.
func (c Cache) Stamp(moduleDir string, files []string, lines ...string) (string, error) {
	h := sha256.New()
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(moduleDir, name))
		if err != nil {
			return "", c.errorf("%w", err)
		}
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
	}
	for _, l := range lines {
		fmt.Fprintf(h, "%s\n", l)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// GoVersion asks the go command at goCmd for its toolchain version.
func (c Cache) GoVersion(ctx context.Context, goCmd string) (string, error) {
	out, err := exec.CommandContext(ctx, goCmd, "env", "GOVERSION").Output()
	if err != nil {
		return "", c.errorf("go env GOVERSION: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Lock creates the directory that holds the cache and takes an exclusive
// flock on Dir+".lock", waiting for as long as ctx allows. The caller
// checks and builds the cache while holding it, then calls unlock.
func (c Cache) Lock(ctx context.Context) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return nil, c.errorf("%w", err)
	}
	path := c.Dir + ".lock"
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, c.errorf("%w", err)
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
			return nil, c.errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, c.errorf("waiting for %s: %w", path, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// Current reports whether the cache was built with stamp and holds every
// one of paths.
func (c Cache) Current(stamp string, paths ...string) bool {
	got, err := os.ReadFile(filepath.Join(c.Dir, "stamp"))
	if err != nil || strings.TrimSpace(string(got)) != stamp {
		return false
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

// Build has fill write the programs into a fresh directory beside the
// cache, records stamp there and renames the directory into place of the
// cache. Nothing of a failed build is left behind. The caller holds Lock.
func (c Cache) Build(stamp string, fill func(dir string) error) error {
	tmp, err := os.MkdirTemp(filepath.Dir(c.Dir), filepath.Base(c.Dir)+".build-")
	if err != nil {
		return c.errorf("%w", err)
	}
	defer os.RemoveAll(tmp)
	if err := fill(tmp); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "stamp"), []byte(stamp+"\n"), 0o644); err != nil {
		return c.errorf("%w", err)
	}
	if err := os.RemoveAll(c.Dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return c.errorf("%w", err)
	}
	if err := os.Rename(tmp, c.Dir); err != nil {
		return c.errorf("%w", err)
	}
	return nil
}

// GoCommand is `go args...` run in moduleDir as a reproducible tool build
// wants it: no cgo, the module's go.sum read-only, no VCS stamping and no
// workspace.
func GoCommand(ctx context.Context, goCmd, moduleDir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=readonly -buildvcs=false", "GOWORK=off")
	return cmd
}

// Tail returns the last n lines of b, for quoting a failed build's output.
func Tail(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
