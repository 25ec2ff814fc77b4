package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestServerFlags(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		want   serverOptions
		code   int // when the flags are refused
		stderr string
	}{
		{
			name: "config repeated, files and directories",
			args: []string{"-config=/etc/vaultd/base.hcl", "-config", "/etc/vaultd/conf.d", "-log-level=debug"},
			want: serverOptions{ConfigPaths: []string{"/etc/vaultd/base.hcl", "/etc/vaultd/conf.d"}, DevListenAddress: "127.0.0.1:8200", LogLevel: "debug"},
		},
		{
			name: "dev with its flags",
			args: []string{"-dev", "-dev-root-token-id=root", "-dev-listen-address=0.0.0.0:8300"},
			want: serverOptions{Dev: true, DevRootTokenID: "root", DevListenAddress: "0.0.0.0:8300"},
		},
		{
			name: "dev from the environment, as the vault image sets it",
			env:  map[string]string{"VAULT_DEV_ROOT_TOKEN_ID": "envroot", "VAULT_DEV_LISTEN_ADDRESS": "0.0.0.0:8200", "VAULT_LOG_LEVEL": "warn"},
			args: []string{"-dev"},
			want: serverOptions{Dev: true, DevRootTokenID: "envroot", DevListenAddress: "0.0.0.0:8200", LogLevel: "warn"},
		},
		{name: "no config and no dev", args: nil, code: 1, stderr: "a config file or directory is required"},
		{name: "dev flag without dev", args: []string{"-config=/c.hcl", "-dev-root-token-id=x"}, code: 1, stderr: "-dev-root-token-id only applies with -dev"},
		{name: "bad log level", args: []string{"-dev", "-log-level=loud"}, code: 1, stderr: `-log-level: log_level: unknown level "loud"`},
		{name: "empty config path", args: []string{"-config="}, code: 1, stderr: "empty path"},
		{name: "stray argument", args: []string{"-dev", "extra"}, code: 1, stderr: "too many arguments"},
		{name: "unknown flag", args: []string{"-dev", "-dev-plugin-dir=/x"}, code: 1, stderr: "flag provided but not defined"},
		{name: "help", args: []string{"-h"}, code: 0, stderr: "Usage: vaultd server"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"VAULT_DEV_ROOT_TOKEN_ID", "VAULT_DEV_LISTEN_ADDRESS", "VAULT_LOG_LEVEL"} {
				t.Setenv(k, tc.env[k])
			}
			var stderr bytes.Buffer
			opts, code, ok := parseServerFlags(tc.args, &stderr)
			if tc.stderr != "" {
				if ok || code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
					t.Errorf("ok=%v code=%d stderr=%q; want refused with %d and %q", ok, code, stderr.String(), tc.code, tc.stderr)
				}
				return
			}
			if !ok || !reflect.DeepEqual(opts, tc.want) {
				t.Errorf("got %+v (ok=%v, stderr %q), want %+v", opts, ok, stderr.String(), tc.want)
			}
		})
	}
}
