package deploy

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// plainImage is the image the plain manifests name.
const plainImage = "vaultd/vaultd:0.1.0"

func dockerImageOf(t *testing.T) *dockerImage {
	t.Helper()
	img, err := readDockerfile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestPlainManifests decodes deploy/kubernetes strictly and holds it to
// the deployment rules, the Dockerfile's user, binary and volumes, and
// vaultd's own config loader.
func TestPlainManifests(t *testing.T) {
	img := dockerImageOf(t)
	o, err := decodeObjects(readManifestDir(t, filepath.Join(repoRoot(t), "deploy", "kubernetes")))
	if err != nil {
		t.Fatal(err)
	}
	conf := checkObjects(t, o, img, expect{
		namespace: "vaultd", image: plainImage,
		withNamespace: true, withBinding: true, withPDB: true,
	})
	if len(conf.Audit) != 1 || conf.Audit[0].Options["file_path"] != "stdout" {
		t.Errorf("the plain manifests should declare the stdout audit device, got %+v", conf.Audit)
	}
	for _, p := range img.exposed {
		if p != "8200" && p != "8200/tcp" {
			t.Errorf("the Dockerfile exposes %s; the manifests serve 8200", p)
		}
	}
}

// TestDockerfileVaultLink: the image carries /usr/local/bin/vault as a
// link to the vaultd binary, on the image's PATH, so that the walkthrough's
// `kubectl exec vault-0 -- vault status` works in it.
func TestDockerfileVaultLink(t *testing.T) {
	img := dockerImageOf(t)
	target, ok := img.links["/usr/local/bin/vault"]
	if !ok {
		t.Fatalf("the image has no /usr/local/bin/vault link (links: %v)", img.links)
	}
	if !path.IsAbs(target) {
		target = path.Join("/usr/local/bin", target)
	}
	if target != img.binary {
		t.Errorf("/usr/local/bin/vault points at %s, the binary is %s", target, img.binary)
	}
}

// TestDockerfileShell: the image has a shell for the walkthrough's
// `kubectl exec -it vaultd-0 -- sh`. /bin/sh is a link to a file the final
// stage copies from a build stage that installs Debian's busybox-static,
// from where that package puts its static binary; /bin is on the image's
// PATH beside vault's directory, and HOME names a directory for the token
// helper file.
func TestDockerfileShell(t *testing.T) {
	img := dockerImageOf(t)
	target, ok := img.links["/bin/sh"]
	if !ok {
		t.Fatalf("the image has no /bin/sh link (links: %v)", img.links)
	}
	if !path.IsAbs(target) {
		target = path.Join("/bin", target)
	}
	f, ok := img.files[target]
	if !ok {
		t.Fatalf("/bin/sh points at %s, which the final stage does not copy (files: %v)", target, img.files)
	}
	if f.path != "/bin/busybox" || !slices.Contains(img.packages[f.stage], "busybox-static") {
		t.Errorf("%s comes from %s in stage %q, which installs %v; want /bin/busybox of busybox-static",
			target, f.path, f.stage, img.packages[f.stage])
	}
	dirs := strings.Split(img.finalEnv["PATH"], ":")
	for _, want := range []string{"/bin", path.Dir(img.binary)} {
		if !slices.Contains(dirs, want) {
			t.Errorf("the image's PATH %q lacks %s", img.finalEnv["PATH"], want)
		}
	}
	if home := img.finalEnv["HOME"]; !path.IsAbs(home) {
		t.Errorf("the image's HOME is %q", home)
	}
}

// TestDockerfileParse pins down the parser the checks above rely on, on a
// Dockerfile unlike the repository's.
func TestDockerfileParse(t *testing.T) {
	img, err := parseDockerfile(`ARG GO=1.26
FROM golang:${GO} AS build
ENV GOFLAGS=-buildvcs=false
ARG VERSION=1.2.3
RUN apt-get update && apt-get install -y --no-install-recommends busybox-static ca-certificates; rm -rf /var/lib/apt/lists/*
RUN go mod download && \
    CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" -o /out/vaultd ./cmd/vaultd ; echo done
RUN mkdir -p /root/bin && ln -sf vaultd /root/bin/vault && ln -s /x /not/copied
FROM gcr.io/distroless/static
COPY --from=build --chown=1:1 /out/vaultd /bin/
COPY --from=build /root/ /
COPY --from=build /bin/busybox /usr/bin/
ENV PATH=/bin:/usr/bin HOME=/home/x
USER 65532:65532
VOLUME /vault/data /vault/config
EXPOSE 8200
ENTRYPOINT ["/bin/vaultd"]
CMD ["server"]
`)
	if err != nil {
		t.Fatal(err)
	}
	wantBuild := []string{"go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=1.2.3", "-o", "/out/vaultd", "./cmd/vaultd"}
	if strings.Join(img.build, "|") != strings.Join(wantBuild, "|") {
		t.Errorf("build = %q, want %q", img.build, wantBuild)
	}
	if img.env["CGO_ENABLED"] != "0" || img.env["GOOS"] != "linux" || img.env["GOFLAGS"] != "-buildvcs=false" {
		t.Errorf("env = %v", img.env)
	}
	if img.binary != "/bin/vaultd" || img.uid != 65532 {
		t.Errorf("binary %q uid %d", img.binary, img.uid)
	}
	if len(img.links) != 1 || img.links["/bin/vault"] != "vaultd" {
		t.Errorf("links %v, want /bin/vault -> vaultd alone", img.links)
	}
	if strings.Join(img.packages["build"], ",") != "busybox-static,ca-certificates" {
		t.Errorf("packages %v", img.packages)
	}
	if img.files["/usr/bin/busybox"] != (stageFile{"build", "/bin/busybox"}) || img.files["/bin/vaultd"] != (stageFile{"build", "/out/vaultd"}) {
		t.Errorf("files %v", img.files)
	}
	if img.finalEnv["PATH"] != "/bin:/usr/bin" || img.finalEnv["HOME"] != "/home/x" || img.finalEnv["GOFLAGS"] != "" {
		t.Errorf("final env %v", img.finalEnv)
	}
	if strings.Join(img.volumes, ",") != "/vault/data,/vault/config" || strings.Join(img.entrypoint, " ") != "/bin/vaultd" {
		t.Errorf("volumes %v entrypoint %v", img.volumes, img.entrypoint)
	}
	for _, bad := range []string{"RUN go build .\n", "FROM x\nCOPY a b\n", "FROM x AS b\nRUN go build -o /v .\nFROM y\nCOPY --from=b /v /other\n"} {
		if _, err := parseDockerfile(bad); err == nil {
			t.Errorf("parseDockerfile(%q) accepted a Dockerfile with no build or no vaultd", bad)
		}
	}
}

// TestManifestChecksCatchMistakes breaks the plain manifests one rule at a
// time and expects the checks to notice: the rules above are not vacuous.
func TestManifestChecksCatchMistakes(t *testing.T) {
	img := dockerImageOf(t)
	base := string(readManifestDir(t, filepath.Join(repoRoot(t), "deploy", "kubernetes")))
	cases := []struct{ name, from, to, want string }{
		{"liveness kills sealed pods", "path: /v1/sys/health?standbyok=true&sealedcode=204&uninitcode=204\n              port: http\n              scheme: HTTP\n            initialDelaySeconds", "path: /v1/sys/health\n              port: http\n              scheme: HTTP\n            initialDelaySeconds", "would fail a sealed"},
		{"writable root filesystem", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem"},
		{"privilege escalation", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", "allowPrivilegeEscalation"},
		{"runs as the wrong user", "runAsUser: 10001", "runAsUser: 4242", "Dockerfile's user"},
		{"two replicas", "replicas: 1", "replicas: 2", "replicas"},
		{"storage elsewhere", `path = "/vault/data"`, `path = "/tmp/data"`, "bbolt at /vault/data"},
		{"config vaultd refuses", `cluster_name  = "vaultd"`, `cluster_nam   = "vaultd"`, "unknown key"},
		{"mlock without the capability", "disable_mlock = true", "disable_mlock = false", "disable_mlock"},
		{"no memory limit", "              memory: 256Mi\n", "", "memory request and limit"},
		{"unknown field", "serviceName: vaultd-internal", "serviceName: vaultd-internal\n  replica: 1", "unknown field"},
		{"binding to another role", "name: system:auth-delegator", "name: cluster-admin", "system:auth-delegator"},
		{"HOME on the read-only root", "            - name: HOME\n              value: /home/vaultd\n", "", "HOME"},
		{"HOME not mounted", "            - name: home\n              mountPath: /home/vaultd\n", "", "nothing is mounted at HOME"},
		{"HOME on disk", "medium: Memory", `medium: ""`, "in-memory emptyDir"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.from) {
				t.Fatalf("the manifests no longer contain %q; update this case", tc.from)
			}
			broken := strings.Replace(base, tc.from, tc.to, 1)
			ft := &fakeT{}
			func() {
				defer func() { _ = recover() }()
				o, err := decodeObjects([]byte(broken))
				if err != nil {
					ft.Error(err)
					return
				}
				checkObjects(ft.asT(t), o, img, expect{namespace: "vaultd", image: plainImage, withNamespace: true, withBinding: true, withPDB: true})
			}()
			if !ft.failed {
				t.Fatalf("the checks accepted manifests with %s", tc.name)
			}
			if msgs := strings.Join(ft.msgs, "\n"); !strings.Contains(msgs, tc.want) {
				t.Errorf("the checks failed, but not for %s (want %q):\n%s", tc.name, tc.want, msgs)
			}
		})
	}
}

// writeTemp writes data to a file in a test's temporary directory.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
