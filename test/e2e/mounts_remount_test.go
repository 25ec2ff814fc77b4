package e2e

import (
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestRemountRefusesEveryOverlap: with a/b/ and a/c/ mounted, moving a/b
// to a would put a/ over a/c/. The move is refused every time (the check
// sees every clash, not the first one in map order), and nothing moves.
func TestRemountRefusesEveryOverlap(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true})
	sys := s.Client.Sys()
	for _, p := range []string{"a/b", "a/c"} {
		must(t, sys.Mount(p, &api.MountInput{Type: "kv", Options: map[string]string{"version": "2"}}), "mount "+p)
	}
	// Map order is random: one try would pass by chance half the time.
	for i := 0; i < 40; i++ {
		err := sys.Remount("a/b", "a")
		if err == nil {
			t.Fatalf("try %d: remount a/b -> a succeeded while a/c/ is mounted", i)
		}
		if !strings.Contains(err.Error(), "a/c/") {
			t.Fatalf("try %d: %v, want the clash with a/c/ named", i, err)
		}
	}
	mounts, err := sys.ListMounts()
	must(t, err, "list mounts")
	for _, p := range []string{"a/b/", "a/c/"} {
		if _, ok := mounts[p]; !ok {
			t.Errorf("%s is gone after refused remounts", p)
		}
	}
	if _, ok := mounts["a/"]; ok {
		t.Error("a/ is mounted after refused remounts")
	}
	// Moving a mount within its own path is not a clash with itself.
	must(t, sys.Remount("a/b", "a/b2"), "remount a/b -> a/b2")
}
