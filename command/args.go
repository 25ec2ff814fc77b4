package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxStdin bounds what a command reads from standard input.
const maxStdin = 32 << 20

// parseData reads the data arguments of write, kv put, login and the like,
// as the vault CLI does: K=V (the value a string), K=@FILE (the file's
// contents), K=- (standard input), - (a JSON object on standard input)
// and @FILE (a JSON object in a file). Standard input is read once.
func parseData(args []string, stdin io.Reader) (map[string]any, error) {
	data := map[string]any{}
	stdinUsed := false
	readStdin := func() ([]byte, error) {
		if stdinUsed {
			return nil, errors.New("standard input can be read only once")
		}
		stdinUsed = true
		if stdin == nil {
			return nil, nil
		}
		b, err := io.ReadAll(io.LimitReader(stdin, maxStdin+1))
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		if len(b) > maxStdin {
			return nil, fmt.Errorf("standard input is longer than %d bytes", maxStdin)
		}
		return b, nil
	}
	mergeJSON := func(b []byte, from string) error {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return fmt.Errorf("parsing JSON from %s: %w", from, err)
		}
		for k, v := range m {
			data[k] = v
		}
		return nil
	}
	for _, arg := range args {
		switch {
		case arg == "-":
			b, err := readStdin()
			if err != nil {
				return nil, err
			}
			if err := mergeJSON(b, "standard input"); err != nil {
				return nil, err
			}
			continue
		case strings.HasPrefix(arg, "@"):
			b, err := os.ReadFile(arg[1:])
			if err != nil {
				return nil, fmt.Errorf("error reading file: %w", err)
			}
			if err := mergeJSON(b, arg[1:]); err != nil {
				return nil, err
			}
			continue
		}
		k, v, ok := strings.Cut(arg, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("format must be key=value, got %q", arg)
		}
		switch {
		case v == "-":
			b, err := readStdin()
			if err != nil {
				return nil, err
			}
			v = string(b)
		case strings.HasPrefix(v, "@"):
			b, err := os.ReadFile(v[1:])
			if err != nil {
				return nil, fmt.Errorf("error reading file: %w", err)
			}
			v = string(b)
		}
		data[k] = v
	}
	return data, nil
}

// dataOrFail parses data arguments; on failure it prints Vault's message
// and ok is false (exit 1).
func (b *base) dataOrFail(args []string) (map[string]any, bool) {
	data, err := parseData(args, b.streams.Stdin)
	if err != nil {
		b.errorf("Failed to parse K=V data: %s", err)
		return nil, false
	}
	return data, true
}
