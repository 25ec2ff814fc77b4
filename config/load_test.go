package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLoadDirectoryMergesInNameOrder: a directory's .hcl and .json files are
// read in name order; later scalars win, listeners and audit devices
// accumulate, a later storage block replaces an earlier one, and anything
// that is not a config file is left alone.
func TestLoadDirectoryMergesInNameOrder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "10-base.hcl"), `
storage "bbolt" { path = "/first" }
listener "tcp" {
  address = "127.0.0.1:8200"
  tls_disable = true
}
log_level = "debug"
ui = true
disable_mlock = true
`)
	writeFile(t, filepath.Join(dir, "20-more.json"), `{
  "storage": {"file": {"path": "/second"}},
  "listener": {"tcp": {"address": "127.0.0.1:8201", "tls_disable": true}},
  "audit": {"file": {"main": {"options": {"file_path": "discard"}}}},
  "log_level": "error",
  "disable_mlock": false
}`)
	// None of these may be read: each would fail if it were.
	writeFile(t, filepath.Join(dir, ".hidden.hcl"), "bogus = 1\n")
	writeFile(t, filepath.Join(dir, "10-base.hcl~"), "bogus = 1\n")
	writeFile(t, filepath.Join(dir, "notes.txt"), "bogus = 1\n")
	writeFile(t, filepath.Join(dir, "sub.hcl", "x.hcl"), "bogus = 1\n")

	cfg, err := LoadFiles([]string{dir})
	if err != nil {
		t.Fatalf("LoadFiles: %v", err)
	}
	if cfg.Storage.Path != "/second" || cfg.Storage.Type != StorageBbolt || cfg.Storage.DeclaredType != "file" {
		t.Errorf("storage = %+v, want the later file's", *cfg.Storage)
	}
	if len(cfg.Listeners) != 2 || cfg.Listeners[0].Address != "127.0.0.1:8200" || cfg.Listeners[1].Address != "127.0.0.1:8201" {
		t.Errorf("listeners = %s", dump(cfg))
	}
	if len(cfg.Audit) != 1 || cfg.Audit[0].Path != "main/" {
		t.Errorf("audit = %s", dump(cfg))
	}
	if cfg.LogLevel != "error" {
		t.Errorf("log_level = %q, want the later file's error", cfg.LogLevel)
	}
	if cfg.DisableMlock {
		t.Error("disable_mlock = false in the later file did not override true")
	}
	if !cfg.UI {
		t.Error("ui = true was lost: the later file did not set it")
	}
	if got := cfg.set["log_level"]; got.file != filepath.Join(dir, "20-more.json") || got.line != 5 {
		t.Errorf("log_level recorded at %v", got)
	}
}

// TestLoadRepeatedPaths: -config repeated, files and directories mixed;
// a file given after a directory overrides it.
func TestLoadRepeatedPaths(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "conf.d", "a.hcl"), "storage \"inmem\" {}\nmax_lease_ttl = \"48h\"\ncluster_name = \"one\"\n")
	writeFile(t, filepath.Join(dir, "listener.hcl"), "listener \"tcp\" {\n  tls_disable = true\n}\ncluster_name = \"two\"\n")
	cfg, err := LoadFiles([]string{filepath.Join(dir, "conf.d"), filepath.Join(dir, "listener.hcl")})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClusterName != "two" || cfg.MaxLeaseTTL != 48*time.Hour || len(cfg.Listeners) != 1 || cfg.Storage.Type != StorageInmem {
		t.Errorf("merged = %s", dump(cfg))
	}
}

// TestLoadConfigMapMount: a Kubernetes ConfigMap volume holds symlinks to a
// hidden ..data directory; each file is read once, through its symlink.
func TestLoadConfigMapMount(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "..2024_01_01", "vaultd.hcl"), "storage \"inmem\" {}\nlistener \"tcp\" {\n  tls_disable = true\n}\n")
	if err := os.Symlink("..2024_01_01", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..data", "vaultd.hcl"), filepath.Join(dir, "vaultd.hcl")); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Listeners) != 1 {
		t.Errorf("%d listeners, want 1 (the file was read more than once?)", len(cfg.Listeners))
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good.hcl"), "storage \"inmem\" {}\n")
	writeFile(t, filepath.Join(dir, "bad.hcl"), "\n\nlisten \"tcp\" {}\n")
	writeFile(t, filepath.Join(dir, "nolistener", "a.hcl"), "storage \"inmem\" {}\n")
	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.hcl")
	writeFile(t, big, "# "+strings.Repeat("x", maxFileSize)+"\n")

	tests := []struct {
		name  string
		paths []string
		want  string
	}{
		{"no paths", nil, "no config file given"},
		{"missing file", []string{filepath.Join(dir, "nope.hcl")}, "no such file or directory"},
		{"the bad file is named", []string{filepath.Join(dir, "good.hcl"), filepath.Join(dir, "bad.hcl")}, filepath.Join(dir, "bad.hcl") + `:3: unknown key "listen"`},
		{"empty directory", []string{filepath.Join(dir, "empty")}, "no .hcl or .json files in directory"},
		{"invalid as a whole", []string{filepath.Join(dir, "nolistener")}, "no listener block"},
		{"oversized file", []string{big}, "big.hcl: file is larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadFiles(tc.paths)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadFiles = %v, %v; want an error containing %q", cfg, err, tc.want)
			}
		})
	}
}

// TestMergeLeavesInputsAlone: Merge builds a new Config.
func TestMergeLeavesInputsAlone(t *testing.T) {
	a, err := Parse("a.hcl", []byte("storage \"inmem\" {}\nlistener \"tcp\" {\n  tls_disable = true\n}\nui = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b.hcl", []byte("listener \"tcp\" {\n  address = \"127.0.0.1:9\"\n  tls_disable = true\n}\nui = false\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := a.Merge(b)
	if len(m.Listeners) != 2 || m.UI || m.Storage == nil {
		t.Errorf("merged = %s", dump(m))
	}
	if len(a.Listeners) != 1 || !a.UI || len(b.Listeners) != 1 || b.Storage != nil {
		t.Errorf("inputs changed: a=%s b=%s", dump(a), dump(b))
	}
	// Dev mode plus a file: the file's settings win where it sets them.
	d := Dev("").Merge(b)
	if d.Storage.Type != StorageInmem || !d.DisableMlock || d.UI || len(d.Listeners) != 2 {
		t.Errorf("dev merged = %s", dump(d))
	}
}
