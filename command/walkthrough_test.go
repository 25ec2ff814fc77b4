package command_test

import (
	"strings"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// walkthroughSteps are the article's "Configure Vault for Kubernetes Auth"
// commands and its rotation, verbatim but for the address and token: what a
// user types in the server's pod.
var walkthroughSteps = []struct {
	name, script string
	stdout       string // the whole output, normalised; "" to skip
}{
	{"auth enable", "vault auth enable kubernetes\n", "Success! Enabled kubernetes auth method at: kubernetes/\n"},
	{"config", `vault write auth/kubernetes/config \
kubernetes_host="https://$KUBERNETES_PORT_443_TCP_ADDR:443"
`, "Success! Data written to: auth/kubernetes/config\n"},
	{"kv put", `vault kv put secret/my-api \
DB_PASSWORD="supersecret-from-vault" \
API_KEY="vault-managed-api-key-xyz" \
DB_HOST="prod-db.example.com"
`, `=== Secret Path ===
secret/data/my-api

======= Metadata =======
Key                Value
---                -----
created_time       <TIME>
custom_metadata    <nil>
deletion_time      n/a
destroyed          false
version            1
`},
	{"kv get", "vault kv get secret/my-api\n", `=== Secret Path ===
secret/data/my-api

======= Metadata =======
Key                Value
---                -----
created_time       <TIME>
custom_metadata    <nil>
deletion_time      n/a
destroyed          false
version            1

======= Data =======
Key            Value
---            -----
API_KEY        vault-managed-api-key-xyz
DB_HOST        prod-db.example.com
DB_PASSWORD    supersecret-from-vault
`},
	{"policy write", `vault policy write my-api-policy - <<EOF
path "secret/data/my-api" {
capabilities = ["read"]
}
EOF
`, "Success! Uploaded policy: my-api-policy\n"},
	{"role write", `vault write auth/kubernetes/role/my-api-role \
bound_service_account_names=default \
bound_service_account_namespaces=default \
policies=my-api-policy \
ttl=1h
`, ""},
	// "Rotate without redeploying", as run through kubectl exec.
	{"rotation", `sh -c "
export VAULT_ADDR='$ADDR'
export VAULT_TOKEN='$ROOT'
vault kv put secret/my-api \
DB_PASSWORD='rotated-password-v2' \
API_KEY='rotated-api-key-v2' \
DB_HOST='prod-db.example.com'
"
`, ""},
	{"field", "vault kv get -field=DB_PASSWORD secret/my-api", "rotated-password-v2"},
}

// walkthroughWarnings are what steps print on stderr: the role write's
// answer is a warning (no audience), which the CLI shows instead of a
// Success line.
var walkthroughWarnings = map[string]string{
	"role write": "WARNING! The following warnings were returned from Vault:\n\n  * ",
}

// TestWalkthroughCommands runs the walkthrough's configuration commands
// through the binary invoked as vault, in a shell, against a real server
// with KV version 2 at secret/ (as dev mode has it), and checks each
// output and what the server holds afterwards.
func TestWalkthroughCommands(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := newCLI(t, s)
	// What the pod's environment gives, and the address and token the
	// article's two exports set.
	c.env["KUBERNETES_PORT_443_TCP_ADDR"] = "10.96.0.1"
	c.env["ADDR"], c.env["ROOT"] = s.Addr, s.RootToken

	for _, step := range walkthroughSteps {
		r := c.sh(step.script)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", step.name, r.code, r.stdout, r.stderr)
		}
		if step.stdout != "" && normalise(r.stdout) != step.stdout {
			t.Errorf("%s: output\n%s\nwant\n%s", step.name, r.stdout, step.stdout)
		}
		if want := walkthroughWarnings[step.name]; !strings.Contains(r.stderr, want) {
			t.Errorf("%s: stderr %q lacks %q", step.name, r.stderr, want)
		}
	}

	// The server holds what the commands said.
	conf, err := s.Client.Logical().Read("auth/kubernetes/config")
	if err != nil || conf.Data["kubernetes_host"] != "https://10.96.0.1:443" {
		t.Errorf("config: %v %v", conf, err)
	}
	role, err := s.Client.Logical().Read("auth/kubernetes/role/my-api-role")
	if err != nil || !strings.Contains(strings.Join(anyStrings(role.Data["token_policies"]), ","), "my-api-policy") {
		t.Errorf("role: %v %v", role, err)
	}
	pol, err := s.Client.Sys().GetPolicy("my-api-policy")
	if err != nil || !strings.Contains(pol, `path "secret/data/my-api"`) || !strings.Contains(pol, `capabilities = ["read"]`) {
		t.Errorf("policy: %q %v", pol, err)
	}
	kv, err := s.Client.KVv2("secret").Get(t.Context(), "my-api")
	if err != nil || kv.VersionMetadata.Version != 2 || kv.Data["API_KEY"] != "rotated-api-key-v2" {
		t.Errorf("after rotation: %+v %v", kv, err)
	}
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestBothNames: the binary does the same whether it runs as vault or as
// vaultd.
func TestBothNames(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := newCLI(t, s)
	c.must("", "kv", "put", "secret/names", "k=v")
	vaultd := vaultdBin.Path(t)
	for _, args := range [][]string{
		{"status"}, {"kv", "get", "secret/names"}, {"kv", "get", "-format=json", "-field=k", "secret/names"},
		{"policy", "list"}, {"frobnicate"}, {"kv", "get"}, {"version"},
	} {
		asVault := c.run("", args...)
		asVaultd := c.exec("", vaultd, args...)
		if normalise(asVault.stdout) != normalise(asVaultd.stdout) || asVault.stderr != asVaultd.stderr || asVault.code != asVaultd.code {
			t.Errorf("%v: as vault %+v, as vaultd %+v", args, asVault, asVaultd)
		}
	}
}
