package agent_test

import (
	"os"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/test/certs"
)

// TestAgentTLS: the issue's config as written, https with vault.ca_cert,
// against a vaultd serving TLS; without the CA the login fails, clearly,
// and nothing is written; tls_server_name picks the name verified.
func TestAgentTLS(t *testing.T) {
	tlsFiles := certs.Write(t, t.TempDir(), "vaultd.vaultd.svc")
	cert := tlsFiles.CAFile
	v := startVaultdChild(t, tlsFiles.CertFile, tlsFiles.KeyFile)
	p := setupWalkthrough(t, v.client(), "1h", "")
	withCA := strings.Replace(p.issueConfig(v.url(), "exit_after_auth = true"),
		"retry { num_retries = 2 }", "retry { num_retries = 2 }\n  ca_cert = \""+cert+"\"", 1)
	code, a := runInit(t, nil, "-config="+p.writeConfig(t, "agent.hcl", withCA))
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, a.Out)
	}
	if got := readFile(t, p.dest()); got != rendered("supersecret-from-vault") {
		t.Fatalf("rendered %q", got)
	}

	// The same through VAULT_CACERT and -tls-server-name (the name in the
	// certificate, as with a service name in Kubernetes).
	q := &pod{namespace: p.namespace, jwtFile: p.jwtFile, dir: t.TempDir()}
	code, a = runInit(t, agentEnv(t, "VAULT_CACERT="+cert), "-tls-server-name=vaultd.vaultd.svc",
		"-config="+q.writeConfig(t, "agent.hcl", q.issueConfig(v.url(), "exit_after_auth = true")))
	if code != 0 {
		t.Fatalf("VAULT_CACERT: exit %d:\n%s", code, a.Out)
	}

	// Without the CA: refused, one line, nothing written.
	r := &pod{namespace: p.namespace, jwtFile: p.jwtFile, dir: t.TempDir()}
	code, a = runInit(t, nil, "-config="+r.writeConfig(t, "agent.hcl", r.issueConfig(v.url(), "exit_after_auth = true")))
	line := lastLine(a.Out.String())
	if code != 1 || !strings.Contains(line, "login with auth/kubernetes failed") || !strings.Contains(line, "certificate") {
		t.Fatalf("exit %d, last line %q", code, line)
	}
	for _, path := range []string{r.dest(), r.sink()} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("%s written without a trusted server (%v)", path, err)
		}
	}
}
