package file

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

const partialChildEnv = "VAULTD_AUDIT_PARTIAL_WRITE_DIR"

// TestPartialWriteLeavesWholeLines: when a write fails midway (the file
// hits its size limit, as on a full disk), the device reports the error
// (so the request fails closed) and the file still ends at a line
// boundary, so the next entry is a line of its own and every line parses.
//
// The failure is real: the test runs itself again as a child process with
// RLIMIT_FSIZE set, so the kernel stops the write partway with EFBIG
// (SIGXFSZ does nothing to a Go program). The limit stays in the child.
func TestPartialWriteLeavesWholeLines(t *testing.T) {
	if dir := os.Getenv(partialChildEnv); dir != "" {
		partialWriteChild(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPartialWriteLeavesWholeLines$", "-test.count=1")
	cmd.Env = append(os.Environ(), partialChildEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	lines := readLines(t, filepath.Join(dir, "audit.log"))
	if len(lines) < 2 {
		t.Fatalf("want the entries before the failure and one after, got %d lines", len(lines))
	}
	for _, l := range lines {
		decode(t, l)
	}
}

func partialWriteChild(t *testing.T, dir string) {
	path := filepath.Join(dir, "audit.log")
	d := newDevice(t, map[string]string{"file_path": path})
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	limited := lim
	limited.Cur = 8 << 10
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limited); err != nil {
		t.Fatal(err)
	}
	var failed error
	for i := 0; i < 100 && failed == nil; i++ {
		failed = d.LogResponse(context.Background(), kvRead())
	}
	if failed == nil {
		t.Fatal("no write failed under an 8 KiB file size limit")
	}
	if !errors.Is(failed, syscall.EFBIG) {
		t.Fatalf("write failed with %v, want EFBIG", failed)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() == int64(limited.Cur) {
		// The entry was cut at the limit and left there.
		t.Errorf("the file was left at the limit (%d bytes): the partial entry is still in it", st.Size())
	}
	readLines(t, path) // fails unless the file ends in a newline
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	if err := d.LogResponse(context.Background(), kvRead()); err != nil {
		t.Fatalf("write after the limit was lifted: %v", err)
	}
}
