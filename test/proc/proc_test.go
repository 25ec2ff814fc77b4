package proc

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestStartWaitAndExitCode(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	tests := []struct {
		name     string
		script   string
		wantCode int
		wantOut  string
	}{
		{"clean exit", "echo hello", 0, "hello"},
		{"failure", "echo oops >&2; exit 3", 3, "oops"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Start(t, sh, Options{}, "-c", tc.script)
			_ = p.Wait(t, 10*time.Second)
			if got := p.ExitCode(); got != tc.wantCode {
				t.Fatalf("exit code %d, want %d", got, tc.wantCode)
			}
			if !p.Out.Contains(tc.wantOut) {
				t.Fatalf("output %q lacks %q", p.Out, tc.wantOut)
			}
		})
	}
}

func TestKillAndStop(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep on this machine")
	}
	p := Start(t, sleep, Options{}, "60")
	p.Kill(t)
	if p.ExitCode() != -1 {
		t.Fatalf("a killed child reports exit code %d", p.ExitCode())
	}
	q := Start(t, sleep, Options{}, "60")
	q.Signal(t, syscall.SIGTERM)
	if err := q.Wait(t, 10*time.Second); err == nil {
		t.Fatal("sleep ended by SIGTERM reported success")
	}
}

func TestFreeAddrIsListenable(t *testing.T) {
	a, b := FreeAddr(t), FreeAddr(t)
	if a == "" || b == "" {
		t.Fatal("empty address")
	}
}

func TestRunSplitsOutputAndCode(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	stdout, stderr, code := Run(t, sh, []string{"GREETING=hi"}, "-c", `echo "$GREETING"; echo "$HOME" >&2; exit 4`)
	if stdout != "hi\n" || code != 4 {
		t.Fatalf("stdout %q code %d", stdout, code)
	}
	if stderr == "\n" || stderr == "" {
		t.Fatalf("HOME not set: stderr %q", stderr)
	}
}
