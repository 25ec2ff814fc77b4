package e2e

import (
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/vaultd/vaultd/cmd/vaultd-load/load"
	"github.com/vaultd/vaultd/vaulttest"
)

// TestLoadToolOps runs every vaultd-load workload against a real server on
// bbolt: a login run configures a JWT mount and every login must succeed.
// (The server CPU reading itself is tested in the load package; 40
// requests can take less than one clock tick.)
func TestLoadToolOps(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{Dir: t.TempDir()})
	for _, op := range []load.Op{load.OpRead, load.OpWrite, load.OpMixed, load.OpLogin} {
		t.Run(string(op), func(t *testing.T) {
			cfg := load.Config{Addr: s.Addr, Token: s.RootToken, Op: op, Concurrency: 4, Requests: 40}
			if runtime.GOOS == "linux" {
				cfg.ServerPID = os.Getpid()
			}
			res, err := load.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests != 40 || res.Errors != 0 {
				t.Fatalf("%s; first error %v", res, res.FirstError)
			}
		})
	}
	// The login run left its JWT mount behind.
	sec, err := s.Client.Logical().Read("sys/auth")
	if err != nil || sec == nil || sec.Data["vaultd-load-jwt/"] == nil {
		t.Fatalf("sys/auth after a login run: %v %v", sec, err)
	}
}
