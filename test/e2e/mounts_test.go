package e2e

import (
	"net/http"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

func TestMountLifecycle(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	sys := s.Client.Sys()

	must(t, sys.Mount("team-a", &api.MountInput{Type: "kv", Description: "team a", Options: map[string]string{"version": "2"}}), "mount")
	mounts, err := sys.ListMounts()
	must(t, err, "list mounts")
	m, ok := mounts["team-a/"]
	if !ok || m.Type != "kv" || m.Options["version"] != "2" || m.Accessor == "" || m.UUID == "" {
		t.Fatalf("team-a/ in sys/mounts: %+v", m)
	}
	for _, p := range []string{"sys/", "cubbyhole/", "secret/"} {
		if _, ok := mounts[p]; !ok {
			t.Errorf("default mount %s missing from %v", p, mounts)
		}
	}

	must(t, sys.TuneMountAllowNil("team-a", api.TuneMountConfigInput{DefaultLeaseTTL: strp("1h"), MaxLeaseTTL: strp("2h")}), "tune")
	cfg, err := sys.MountConfig("team-a")
	must(t, err, "read tune")
	if cfg.DefaultLeaseTTL != 3600 || cfg.MaxLeaseTTL != 7200 {
		t.Fatalf("tuned TTLs: %+v", cfg)
	}

	_, err = s.Client.Logical().Write("team-a/data/k", map[string]any{"data": map[string]any{"v": "1"}})
	must(t, err, "write before remount")
	must(t, sys.Remount("team-a", "team-b"), "remount")
	sec, err := s.Client.Logical().Read("team-b/data/k")
	must(t, err, "read after remount")
	if sec == nil || sec.Data["data"].(map[string]any)["v"] != "1" {
		t.Fatalf("data did not follow the remount: %+v", sec)
	}
	if status, _ := raw(t, s.Client, http.MethodGet, "team-a/data/k", nil); status != http.StatusNotFound {
		t.Fatalf("old mount path answered %d after remount", status)
	}

	must(t, sys.Unmount("team-b"), "unmount")
	mounts, _ = sys.ListMounts()
	if _, ok := mounts["team-b/"]; ok {
		t.Fatal("team-b/ still listed after unmount")
	}
	// Mounting again at the same path starts empty: the data went with it.
	must(t, sys.Mount("team-b", &api.MountInput{Type: "kv-v2"}), "remount fresh")
	sec, err = s.Client.Logical().Read("team-b/data/k")
	if err != nil || sec != nil {
		t.Fatalf("a fresh mount at an old path sees old data: %+v %v", sec, err)
	}
}

func TestAuthMountLifecycle(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	sys := s.Client.Sys()
	must(t, sys.EnableAuthWithOptions("k8s", &api.EnableAuthOptions{Type: "kubernetes", Description: "pods"}), "enable auth")
	auths, err := sys.ListAuth()
	must(t, err, "list auth")
	if a := auths["k8s/"]; a == nil || a.Type != "kubernetes" || a.Accessor == "" {
		t.Fatalf("k8s/ in sys/auth: %+v", auths)
	}
	if a := auths["token/"]; a == nil || a.Type != "token" {
		t.Fatalf("token/ missing from sys/auth: %+v", auths)
	}
	must(t, sys.TuneMountAllowNil("auth/k8s", api.TuneMountConfigInput{MaxLeaseTTL: strp("3h")}), "tune auth")
	cfg, err := sys.MountConfig("auth/k8s")
	must(t, err, "read auth tune")
	if cfg.MaxLeaseTTL != 3*3600 {
		t.Fatalf("auth tune: %+v", cfg)
	}
	must(t, sys.DisableAuth("k8s"), "disable auth")
	auths, _ = sys.ListAuth()
	if _, ok := auths["k8s/"]; ok {
		t.Fatal("k8s/ still enabled")
	}
	wantStatus(t, sys.DisableAuth("token"), http.StatusBadRequest, "disabling the token store")
}

func TestMountBadInput(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	sys := s.Client.Sys()
	before, err := sys.ListMounts()
	must(t, err, "list")
	cases := []struct {
		name  string
		path  string
		input *api.MountInput
	}{
		{"unknown engine type", "x", &api.MountInput{Type: "banana"}},
		{"duplicate", "secret", &api.MountInput{Type: "kv"}},
		{"inside another mount", "secret/inner", &api.MountInput{Type: "kv"}},
		{"over another mount", "team", &api.MountInput{Type: "kv"}},
		{"under sys", "sys/mine", &api.MountInput{Type: "kv"}},
		{"bad ttl", "y", &api.MountInput{Type: "kv", Config: api.MountConfigInput{DefaultLeaseTTL: "banana"}}},
		{"no type", "z", &api.MountInput{}},
	}
	must(t, sys.Mount("team/sub", &api.MountInput{Type: "kv"}), "mount team/sub")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, sys.Mount(tc.path, tc.input), http.StatusBadRequest, tc.name)
		})
	}
	after, err := sys.ListMounts()
	must(t, err, "list")
	if len(after) != len(before)+1 {
		t.Fatalf("refused mounts changed the table: %d before, %d after", len(before), len(after))
	}
	status, body := raw(t, s.Client, http.MethodGet, "no/such/mount", nil)
	if status != http.StatusNotFound || len(body["errors"].([]any)) == 0 {
		t.Fatalf("unmounted path: %d %v", status, body)
	}
}

func strp(s string) *string { return &s }
