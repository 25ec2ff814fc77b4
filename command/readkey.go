package command

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// maxKeyLine bounds the line read as an unseal key. A share of a 32-byte
// key is 33 bytes: 44 characters of base64, 66 of hex.
const maxKeyLine = 4096

// errNoKey is returned when standard input gives no key.
var errNoKey = errors.New("no unseal key given: pass it as the argument, type it at the terminal, or send it as one line on standard input")

// readUnsealKey reads one unseal key share. From a terminal it prompts on
// prompt and reads without echo; otherwise it reads one line of stdin. The
// key is never written anywhere.
func readUnsealKey(ctx context.Context, stdin io.Reader, prompt io.Writer) (string, error) {
	return readHidden(ctx, stdin, prompt, "Unseal Key", errNoKey)
}

// readHidden reads one secret line: from a terminal with a "label (will be
// hidden): " prompt and echo off, otherwise the first line of stdin. An
// empty answer is errEmpty.
func readHidden(ctx context.Context, stdin io.Reader, prompt io.Writer, label string, errEmpty error) (string, error) {
	var key string
	var err error
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		key, err = readFromTerminal(ctx, int(f.Fd()), prompt, label)
	} else {
		key, err = readLine(stdin)
	}
	if errors.Is(err, errNoKey) {
		return "", errEmpty
	}
	return key, err
}

// readFromTerminal reads a line with echo off. An interrupt (ctx cancelled
// by SIGINT) gives the terminal back its echo before returning.
func readFromTerminal(ctx context.Context, fd int, prompt io.Writer, label string) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("reading the terminal: %w", err)
	}
	fmt.Fprintf(prompt, "%s (will be hidden): ", label)
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		fmt.Fprintln(prompt)
		if r.err != nil {
			return "", fmt.Errorf("reading the terminal: %w", r.err)
		}
		key := strings.TrimSpace(string(r.b))
		clear(r.b)
		if key == "" {
			return "", errNoKey
		}
		return key, nil
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		fmt.Fprintln(prompt)
		return "", fmt.Errorf("interrupted: %w", ctx.Err())
	}
}

// readLine reads the first line of r (up to maxKeyLine bytes), trimmed.
func readLine(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxKeyLine+1), 512)
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading standard input: %w", err)
	}
	if len(line) > maxKeyLine {
		return "", fmt.Errorf("the line on standard input is longer than %d bytes", maxKeyLine)
	}
	key := strings.TrimSpace(line)
	if key == "" {
		return "", errNoKey
	}
	return key, nil
}
