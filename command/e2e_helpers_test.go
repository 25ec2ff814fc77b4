package command_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/test/proc"
	"github.com/vaultd/vaultd/vaulttest"
)

// These tests run the built vaultd binary through a symlink named vault,
// as the image carries it, against a real server (vaulttest, over HTTP).

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// vaultdBin is cmd/vaultd, built once for this test binary.
var vaultdBin proc.Binary

// cli runs the binary as `vault` with its own HOME (and so its own token
// helper file) and an environment holding nothing of the caller's VAULT_*.
type cli struct {
	t    *testing.T
	dir  string // holds the vault link; first on PATH
	home string
	env  map[string]string
}

func newCLI(t *testing.T, s *vaulttest.Server) *cli {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(vaultdBin.Path(t), filepath.Join(dir, "vault")); err != nil {
		t.Fatal(err)
	}
	c := &cli{t: t, dir: dir, home: t.TempDir(), env: map[string]string{
		"VAULT_MAX_RETRIES": "0",
	}}
	if s != nil {
		c.env["VAULT_ADDR"] = s.Addr
		c.env["VAULT_TOKEN"] = s.RootToken
	}
	return c
}

func (c *cli) environ() []string {
	env := []string{"PATH=" + c.dir + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + c.home}
	for k, v := range c.env {
		env = append(env, k+"="+v)
	}
	return env
}

// setEnv sets env over the cli's environment (an empty value unsets) and
// returns what puts it back.
func (c *cli) setEnv(env map[string]string) (restore func()) {
	old := map[string]*string{}
	for k, v := range env {
		if prev, ok := c.env[k]; ok {
			old[k] = &prev
		} else {
			old[k] = nil
		}
		if v == "" {
			delete(c.env, k)
		} else {
			c.env[k] = v
		}
	}
	return func() {
		for k, v := range old {
			if v == nil {
				delete(c.env, k)
			} else {
				c.env[k] = *v
			}
		}
	}
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs `vault args...` with stdin.
func (c *cli) run(stdin string, args ...string) result {
	c.t.Helper()
	return c.exec(stdin, filepath.Join(c.dir, "vault"), args...)
}

// sh runs a shell script, as a user types it, with vault on PATH.
func (c *cli) sh(script string) result {
	c.t.Helper()
	return c.exec("", "sh", "-c", script)
}

func (c *cli) exec(stdin, name string, args ...string) result {
	c.t.Helper()
	cmd := exec.CommandContext(c.t.Context(), name, args...)
	cmd.Env = c.environ()
	cmd.Dir = c.home
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		c.t.Fatalf("run %s %v: %v", name, args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// must runs args and fails the test unless it exits 0.
func (c *cli) must(stdin string, args ...string) string {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code != 0 {
		c.t.Fatalf("vault %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// volatile are the parts of an output that change from run to run, and
// what the golden files show instead.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`), "<TIME>"},
	{regexp.MustCompile(`\d\d [A-Z][a-z]{2} \d\d \d\d:\d\d UTC`), "<TIME>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} [A-Z]+`), "<TIME>"},
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<UUID>"},
	{regexp.MustCompile(`hvs\.[A-Za-z0-9]+`), "<TOKEN>"},
	{regexp.MustCompile(`\b(auth_[a-z]+|kv|system|cubbyhole|identity|file|token)_[0-9a-f]{8}\b`), "${1}_xxxxxxxx"},
	{regexp.MustCompile(`(accessor"?:?\s+"?)[A-Za-z0-9]{24}\b`), "${1}<ACCESSOR>"},
	{regexp.MustCompile(`vault-cluster-[0-9a-f]{8}`), "vault-cluster-<ID>"},
	// The barrier's write count depends on what ran before on the server.
	{regexp.MustCompile(`(Encryption Count\s+)\d+`), "${1}<N>"},
	{regexp.MustCompile(`("encryptions": )\d+`), "${1}<N>"},
	{regexp.MustCompile(`http://127\.0\.0\.1:\d+`), "http://<ADDR>"},
	{regexp.MustCompile(`(creation_time"?:?\s+)\d+`), "${1}<UNIX>"},
	{regexp.MustCompile(`/tmp/[^\s"]+/`), "<TMP>/"},
}

func normalise(s string) string {
	for _, v := range volatile {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}

// golden compares got with testdata/name.golden, or rewrites it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; got:\n%s\n--- want:\n%s", file, got, want)
	}
}

// defaultToken creates a token with the default policy alone.
func defaultToken(t *testing.T, s *vaulttest.Server) string {
	t.Helper()
	sec, err := s.Client.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"default"}, TTL: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	return sec.Auth.ClientToken
}
