package command

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the test types into master, and
// the code under test reads the terminal end, tty.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	// Non-blocking, so that reads from the master side honour deadlines.
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	m := os.NewFile(uintptr(fd), "/dev/ptmx")
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Skipf("ptsname: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open pts: %v", err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// echoed reads what the terminal wrote back to the master side so far.
func echoed(t *testing.T, master *os.File) string {
	t.Helper()
	if err := master.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	b := make([]byte, 256)
	for {
		n, err := master.Read(b)
		buf.Write(b[:n])
		if err != nil {
			return buf.String()
		}
	}
}

// TestReadUnsealKeyFromTerminal: on a terminal the key is prompted for on
// the prompt stream and read with echo off, so it never shows.
func TestReadUnsealKeyFromTerminal(t *testing.T) {
	master, tty := openPTY(t)
	const key = "c2VjcmV0LXNoYXJlLXZhbHVlLW5vdC10by1iZS1lY2hvZWQ="
	var prompt bytes.Buffer
	type result struct {
		key string
		err error
	}
	done := make(chan result, 1)
	go func() {
		k, err := readUnsealKey(context.Background(), tty, &prompt)
		done <- result{k, err}
	}()
	// Wait until echo is off before typing, as a person would type after
	// the prompt appears.
	waitForEcho(t, tty, false)
	if _, err := master.WriteString(key + "\n"); err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("readUnsealKey did not return")
	}
	if r.err != nil || r.key != key {
		t.Fatalf("got %q, %v", r.key, r.err)
	}
	if prompt.String() != "Unseal Key (will be hidden): \n" {
		t.Errorf("prompt = %q", prompt.String())
	}
	if out := echoed(t, master); strings.Contains(out, "c2VjcmV0") {
		t.Errorf("the terminal echoed the key: %q", out)
	}
	if !echoOn(t, tty) {
		t.Error("echo was left off")
	}
}

// TestReadUnsealKeyInterrupted: an interrupt while waiting for the key
// gives up and turns echo back on.
func TestReadUnsealKeyInterrupted(t *testing.T) {
	_, tty := openPTY(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := readUnsealKey(ctx, tty, &bytes.Buffer{})
		done <- err
	}()
	waitForEcho(t, tty, false)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("readUnsealKey ignored the interrupt")
	}
	if !echoOn(t, tty) {
		t.Error("echo was left off after the interrupt")
	}
}

func echoOn(t *testing.T, tty *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

func waitForEcho(t *testing.T, tty *os.File, on bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for echoOn(t, tty) != on {
		if time.Now().After(deadline) {
			t.Fatalf("echo never turned %v", on)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
