package deploy

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

// shellForImage is the shell the session test runs as the image's
// /bin/sh: Debian's busybox-static binary where this machine has one
// (VAULTD_TEST_BUSYBOX, or /bin/busybox), else the machine's own /bin/sh
// as a stand-in, said so in the log. The image itself cannot be built here
// (no Docker engine), so its filesystem is laid out in a directory.
func shellForImage(t *testing.T) (string, bool) {
	t.Helper()
	for _, p := range []string{os.Getenv("VAULTD_TEST_BUSYBOX"), "/bin/busybox", "/usr/bin/busybox"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	t.Log("no busybox on this machine (set VAULTD_TEST_BUSYBOX to Debian's busybox-static /bin/busybox): /bin/sh stands in for it")
	return "/bin/sh", false
}

// TestImageShellSession lays out the image's files as the Dockerfile puts
// them (vaultd, the vault link, /bin/sh), runs the walkthrough's
// in-pod session through that sh with the image's PATH alone and HOME a
// fresh directory (the chart's emptyDir), and checks it against a real
// server: vault login keeps the token in $HOME/.vault-token, and the
// configuration commands, $VARS and the heredoc work with that token.
func TestImageShellSession(t *testing.T) {
	skipUnlessLinux(t)
	img := dockerImageOf(t)
	bin, _ := vaultdBinary.get(t)
	root := t.TempDir()
	for _, d := range []string{path.Dir(img.binary), "/bin"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, bin, filepath.Join(root, img.binary))
	shell, isBusybox := shellForImage(t)
	target, ok := img.links["/bin/sh"]
	if !ok {
		t.Fatal("the image has no /bin/sh")
	}
	if !path.IsAbs(target) {
		target = path.Join("/bin", target)
	}
	if _, ok := img.files[target]; !ok {
		t.Fatalf("/bin/sh points at %s, which the image does not have", target)
	}
	copyFile(t, shell, filepath.Join(root, target))
	if isBusybox {
		if problems, err := staticProblems(shell); err != nil || len(problems) > 0 {
			t.Errorf("%s is not a static executable: %v %v", shell, problems, err)
		}
	}
	for link, target := range img.links {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	const sh = "/bin/sh" // run by that name, as kubectl exec does: busybox picks its applet by it
	if err := os.Chmod(filepath.Join(root, target), 0o755); err != nil {
		t.Fatalf("the image's /bin/sh: %v", err)
	}
	var dirs []string
	for _, d := range strings.Split(img.finalEnv["PATH"], ":") {
		dirs = append(dirs, filepath.Join(root, d))
	}
	home := t.TempDir()

	s := vaulttest.Start(t, vaulttest.Options{})
	script := `
vault login -no-print "$ROOT_TOKEN"
vault auth enable kubernetes
vault write auth/kubernetes/config \
kubernetes_host="https://$KUBERNETES_PORT_443_TCP_ADDR:443"
vault kv put secret/my-api \
DB_PASSWORD="supersecret-from-vault" \
API_KEY="vault-managed-api-key-xyz" \
DB_HOST="prod-db.example.com"
vault policy write my-api-policy - <<EOF
path "secret/data/my-api" {
capabilities = ["read"]
}
EOF
vault read -field=kubernetes_host auth/kubernetes/config; echo
vault kv get -field=DB_PASSWORD secret/my-api; echo
vault policy read my-api-policy
`
	cmd := exec.CommandContext(t.Context(), filepath.Join(root, sh), "-c", script)
	cmd.Dir = root
	cmd.Env = []string{
		"PATH=" + strings.Join(dirs, ":"), "HOME=" + home,
		"VAULT_ADDR=" + s.Addr, "VAULT_MAX_RETRIES=0",
		"ROOT_TOKEN=" + s.RootToken, "KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1",
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the session failed: %v\n%s", err, out)
	}
	for _, want := range []string{"Success! Enabled kubernetes auth method at: kubernetes/", "https://10.96.0.1:443\n",
		"supersecret-from-vault\n", "Success! Uploaded policy: my-api-policy", `capabilities = ["read"]`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the session's output lacks %q:\n%s", want, out)
		}
	}
	saved, err := os.ReadFile(filepath.Join(home, ".vault-token"))
	if err != nil || string(saved) != s.RootToken {
		t.Errorf("$HOME/.vault-token: %q %v", saved, err)
	}
}
