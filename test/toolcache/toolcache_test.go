package toolcache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStampFollowsItsInputs(t *testing.T) {
	mod := t.TempDir()
	writeFile(t, filepath.Join(mod, "go.mod"), "module x\n")
	c := Cache{Dir: filepath.Join(t.TempDir(), "tool"), Prefix: "tool"}
	files := []string{"go.mod"}
	base, err := c.Stamp(mod, files, "go go1.0", "ldflags -s")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := c.Stamp(mod, files, "go go1.0", "ldflags -s"); again != base {
		t.Fatalf("same inputs gave %s and %s", base, again)
	}
	if other, _ := c.Stamp(mod, files, "go go1.1", "ldflags -s"); other == base {
		t.Fatal("a new toolchain line left the stamp unchanged")
	}
	if other, _ := c.Stamp(mod, files, "ldflags -s", "go go1.0"); other == base {
		t.Fatal("the order of the lines does not count")
	}
	writeFile(t, filepath.Join(mod, "go.mod"), "module y\n")
	if other, _ := c.Stamp(mod, files, "go go1.0", "ldflags -s"); other == base {
		t.Fatal("a changed go.mod left the stamp unchanged")
	}
	_, err = c.Stamp(mod, []string{"missing"})
	if err == nil || !strings.HasPrefix(err.Error(), "tool: ") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestBuildReplacesTheCacheWhole(t *testing.T) {
	c := Cache{Dir: filepath.Join(t.TempDir(), "tool"), Prefix: "tool"}
	bin := filepath.Join(c.Dir, "bin")
	if c.Current("s1", bin) {
		t.Fatal("an empty cache is current")
	}
	fill := func(content string) func(string) error {
		return func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "bin"), []byte(content), 0o755)
		}
	}
	if err := c.Build("s1", fill("one")); err != nil {
		t.Fatal(err)
	}
	if !c.Current("s1", bin) || c.Current("s2", bin) || c.Current("s1", bin, filepath.Join(c.Dir, "other")) {
		t.Fatal("Current does not follow the stamp and the files")
	}
	writeFile(t, filepath.Join(c.Dir, "stale"), "x")
	if err := c.Build("s2", fill("two")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(bin); string(got) != "two" || !c.Current("s2", bin) {
		t.Fatalf("after a rebuild: %q", got)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "stale")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a rebuild kept a file of the old cache")
	}

	boom := errors.New("boom")
	if err := c.Build("s3", func(string) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed fill: %v", err)
	}
	if !c.Current("s2", bin) {
		t.Fatal("a failed build touched the cache")
	}
	left, _ := filepath.Glob(c.Dir + ".build-*")
	if len(left) != 0 {
		t.Fatalf("a failed build left %v", left)
	}
}

func TestLockExcludesAndGivesUpWithTheContext(t *testing.T) {
	c := Cache{Dir: filepath.Join(t.TempDir(), "sub", "tool"), Prefix: "tool"}
	unlock, err := c.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file, so a second Lock in this
	// process waits as another process would.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Lock(ctx); !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "tool: waiting for ") {
		t.Fatalf("second Lock while held: %v", err)
	}
	unlock()
	unlock2, err := c.Lock(context.Background())
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock2()
}

func TestTail(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb\n", 5, "a\nb"},
		{"\n\nonly\n\n", 1, "only"},
	}
	for _, tt := range tests {
		if got := Tail([]byte(tt.in), tt.n); got != tt.want {
			t.Errorf("Tail(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
