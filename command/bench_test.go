package command_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// BenchmarkCLIKVGet is the cost of one `vault kv get` as a user pays it:
// process start, the mount probe and the read, against an in-process
// server over loopback HTTP.
func BenchmarkCLIKVGet(b *testing.B) {
	s := vaulttest.Start(b, vaulttest.Options{})
	if _, err := s.Client.KVv2("secret").Put(b.Context(), "bench", map[string]any{"k": "v"}); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "vault")
	if err := os.Symlink(vaultdBin.Path(b), bin); err != nil {
		b.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir(), "VAULT_ADDR=" + s.Addr, "VAULT_TOKEN=" + s.RootToken}
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin, "kv", "get", "-field=k", "secret/bench")
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil || string(out) != "v" {
			b.Fatalf("%v %q", err, out)
		}
	}
}
