package proc

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"
)

// Run runs bin with args to its end, with PATH, a temporary HOME and env
// as its environment, and returns its stdout, its stderr and its exit
// code. A child that cannot be started fails the test.
func Run(t testing.TB, bin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %s %v: %v", bin, args, err)
	}
	return out.String(), errOut.String(), code
}
