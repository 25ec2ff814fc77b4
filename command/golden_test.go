package command_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// goldenStep is one command of a family's golden file. With both, it runs
// as given (table) and again with -format=json appended after the
// positional arguments.
type goldenStep struct {
	args  []string
	stdin string
	both  bool
	env   map[string]string // over the cli's environment for this step
}

func step(args ...string) goldenStep    { return goldenStep{args: args} }
func formats(args ...string) goldenStep { return goldenStep{args: args, both: true} }
func withStdin(in string, args ...string) goldenStep {
	return goldenStep{args: args, stdin: in}
}
func withEnv(env map[string]string, args ...string) goldenStep {
	return goldenStep{args: args, env: env}
}

// TestGolden runs each command family against a real server and compares
// the outputs, table and JSON, with testdata/<family>.golden, volatile
// fields (times, IDs, tokens, accessors, ports) normalised. Run with
// -update after a deliberate change of layout.
func TestGolden(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := newCLI(t, s)
	auditLog := filepath.Join(t.TempDir(), "audit.log")
	wraps := makeWraps(t, s)

	families := []struct {
		name  string
		steps []goldenStep
	}{
		{"logical", []goldenStep{
			step("secrets", "enable", "-path=kv1", "-version=1", "kv"),
			formats("write", "kv1/app", "a=1", "b=two", "nested=-"),
			formats("read", "kv1/app"),
			formats("list", "kv1/"),
			step("read", "-field=b", "kv1/app"),
			step("delete", "kv1/app"),
			step("read", "kv1/app"),
			step("list", "kv1/nothing"),
		}},
		{"kv", []goldenStep{
			formats("kv", "put", "secret/golden", "user=alice", "pass=one"),
			formats("kv", "get", "secret/golden"),
			formats("kv", "patch", "secret/golden", "pass=three"),
			formats("kv", "get", "-version=1", "secret/golden"),
			step("kv", "get", "-mount=secret", "-field=pass", "golden"),
			formats("kv", "list", "secret/"),
			step("kv", "metadata", "put", "-max-versions=5", "-custom-metadata=owner=ops", "secret/golden"),
			formats("kv", "metadata", "get", "secret/golden"),
			step("kv", "delete", "-versions=1", "secret/golden"),
			step("kv", "undelete", "-versions=1", "secret/golden"),
			step("kv", "destroy", "-versions=1", "secret/golden"),
			formats("kv", "rollback", "-version=2", "secret/golden"),
			step("kv", "delete", "secret/golden"),
			step("kv", "metadata", "delete", "secret/golden"),
			step("kv", "get", "secret/golden"),
			formats("kv", "put", "kv1/plain", "k=v"),
			formats("kv", "get", "kv1/plain"),
		}},
		{"policy", []goldenStep{
			withStdin("path \"secret/data/golden\" {\n  capabilities = [\"read\", \"list\"]\n}\n", "policy", "write", "golden", "-"),
			formats("policy", "list"),
			formats("policy", "read", "golden"),
			step("policy", "delete", "golden"),
			step("policy", "read", "golden"),
		}},
		{"auth", []goldenStep{
			step("auth", "enable", "-path=k8s", "-description=golden cluster", "kubernetes"),
			formats("auth", "list"),
			step("auth", "tune", "-default-lease-ttl=1h", "k8s/"),
			step("auth", "list", "-detailed"),
			step("auth", "move", "auth/k8s", "auth/k8s-2"),
			step("auth", "disable", "k8s-2"),
			step("auth", "enable", "nosuchmethod"),
		}},
		{"secrets", []goldenStep{
			step("secrets", "enable", "-path=golden", "-description=golden store", "kv"),
			formats("secrets", "list"),
			step("secrets", "tune", "-max-lease-ttl=2h", "golden"),
			step("secrets", "list", "-detailed"),
			step("secrets", "move", "golden", "golden-2"),
			step("secrets", "disable", "golden-2"),
		}},
		{"token", []goldenStep{
			formats("token", "create", "-policy=default", "-policy=golden", "-ttl=1h", "-display-name=golden"),
			formats("token", "lookup"),
			formats("token", "capabilities", "secret/data/golden"),
			step("token", "lookup", "hvs.nosuchtoken"),
		}},
		{"audit", []goldenStep{
			step("audit", "list"),
			step("audit", "enable", "-path=golden", "file", "file_path="+auditLog),
			formats("audit", "list"),
			step("audit", "list", "-detailed"),
			step("audit", "disable", "golden"),
		}},
		{"lease", []goldenStep{
			step("lease", "lookup", "secret/nosuchlease"),
			step("lease", "renew", "secret/nosuchlease"),
			step("lease", "revoke", "-prefix", "kv1/"),
			step("lease", "revoke", "-force", "kv1/"),
		}},
		{"login", []goldenStep{
			formats("login", s.RootToken),
			step("login", "-token-only", s.RootToken),
			step("print", "token"),
			step("login", "-method=kubernetes", "-path=nowhere", "role=r", "jwt=x"),
			step("auth", "enable", "userpass"),
			step("write", "auth/userpass/users/alice", "password=pw", "token_policies=default"),
			formats("login", "-method=userpass", "username=alice", "password=pw"),
			step("login", "-method=userpass", "username=alice", "password=wrong"),
			step("login", "-method=userpass", "-wrap-ttl=1m", "-no-store", "username=alice", "password=pw"),
			step("login", "-method=userpass", "password=pw"),
			step("auth", "enable", "approle"),
			step("write", "auth/approle/role/golden", "token_policies=default", "token_ttl=1h"),
			step("write", "auth/approle/role/golden/role-id", "role_id=golden-role"),
			step("write", "auth/approle/role/golden/custom-secret-id", "secret_id=golden-secret"),
			formats("login", "-method=approle", "role_id=golden-role", "secret_id=golden-secret"),
			step("login", "-method=approle", "role_id=golden-role", "secret_id=nope"),
			step("login", "-method=approle", "secret_id=golden-secret"),
		}},
		{"wrapping", []goldenStep{
			step("auth", "enable", "-path=wrapped-approle", "approle"),
			step("write", "auth/wrapped-approle/role/ci", "token_policies=default"),
			formats("write", "-wrap-ttl=60s", "-f", "auth/wrapped-approle/role/ci/secret-id"),
			step("write", "-wrap-ttl=60s", "-field=wrapping_token_creation_path", "-f", "auth/wrapped-approle/role/ci/secret-id"),
			formats("read", "-wrap-ttl=2m", "auth/wrapped-approle/role/ci"),
			formats("list", "-wrap-ttl=1m", "auth/wrapped-approle/role"),
			step("kv", "put", "secret/wrapped", "password=s3cret"),
			formats("kv", "get", "-wrap-ttl=5m", "secret/wrapped"),
			step("kv", "get", "-wrap-ttl=5m", "-field=wrapping_token_ttl", "secret/wrapped"),
			formats("kv", "put", "-wrap-ttl=5m", "secret/wrapped", "password=s3cret2"),
			formats("token", "create", "-wrap-ttl=10m", "-policy=default"),
			step("unwrap", wraps.read),
			step("unwrap", "-format=json", wraps.readJSON),
			step("unwrap", "-field=password", wraps.wrap),
			withEnv(map[string]string{"VAULT_TOKEN": wraps.list}, "unwrap"),
			step("unwrap", wraps.used),
			step("unwrap", "hvs.nosuchtoken"),
			step("unwrap", "a", "b"),
			step("write", "-wrap-ttl=banana", "-f", "auth/wrapped-approle/role/ci/secret-id"),
		}},
		{"operator", []goldenStep{
			formats("status"),
			formats("operator", "key-status"),
			step("operator", "rotate"),
			step("operator", "key-status"),
			step("operator", "init"),
		}},
	}
	for _, fam := range families {
		t.Run(fam.name, func(t *testing.T) {
			var b strings.Builder
			for _, st := range fam.steps {
				restore := c.setEnv(st.env)
				record(&b, c, st.stdin, st.args)
				restore()
				if st.both {
					record(&b, c, st.stdin, append(append([]string{}, st.args...), "-format=json"))
				}
			}
			golden(t, fam.name, normalise(b.String()))
		})
	}
}

// record runs one command and writes its transcript: the command line,
// stdout, stderr when there is any, and the exit code.
func record(b *strings.Builder, c *cli, stdin string, args []string) {
	r := c.run(stdin, args...)
	fmt.Fprintf(b, "$ vault %s\n%s", strings.Join(args, " "), r.stdout)
	if r.stdout != "" && !strings.HasSuffix(r.stdout, "\n") {
		b.WriteString("\n")
	}
	if r.stderr != "" {
		fmt.Fprintf(b, "[stderr]\n%s", r.stderr)
	}
	fmt.Fprintf(b, "[exit %d]\n\n", r.code)
}
