package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDispatch: the binary's own commands, the client commands handed to
// command/, and unknown names.
func TestDispatch(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, 1, "", "Usage: vaultd <command>"},
		{[]string{"version"}, 0, "vaultd v" + version, ""},
		{[]string{"-version"}, 0, "vaultd v" + version, ""},
		{[]string{"version", "x"}, 1, "", "Too many arguments"},
		{[]string{"-h"}, 0, "    kv ", ""},
		{[]string{"frobnicate"}, 127, "", `Unknown command "frobnicate"`},
		{[]string{"operator"}, 1, "", "Usage: vault operator <subcommand>"},
		{[]string{"operator", "frobnicate"}, 1, "", `Unknown command "operator frobnicate"`},
		{[]string{"operator", "unseal", "-h"}, 0, "", "Usage: vault operator unseal"},
		{[]string{"kv", "metadata"}, 1, "", "Usage: vault kv metadata <subcommand>"},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tc.args, strings.NewReader(""), &out, &errOut)
		if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errOut.String(), tc.stderr) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", tc.args, code, out.String(), errOut.String())
		}
	}
}
