package deploy

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/vaultd/vaultd/injector"
)

// injectorObjects are the kinds only the injector's manifests have.
type injectorObjects struct {
	deployments  []*appsv1.Deployment
	webhooks     []*admissionregistrationv1.MutatingWebhookConfiguration
	clusterRoles []*rbacv1.ClusterRole
	roles        []*rbacv1.Role
	roleBindings []*rbacv1.RoleBinding
}

func (o *objects) addInjector(obj runtime.Object) bool {
	switch v := obj.(type) {
	case *appsv1.Deployment:
		o.deployments = append(o.deployments, v)
	case *admissionregistrationv1.MutatingWebhookConfiguration:
		o.webhooks = append(o.webhooks, v)
	case *rbacv1.ClusterRole:
		o.clusterRoles = append(o.clusterRoles, v)
	case *rbacv1.Role:
		o.roles = append(o.roles, v)
	case *rbacv1.RoleBinding:
		o.roleBindings = append(o.roleBindings, v)
	default:
		return false
	}
	return true
}

func (o *objects) injectorCount() int {
	return len(o.deployments) + len(o.webhooks) + len(o.clusterRoles) + len(o.roles) + len(o.roleBindings)
}

// injectorExpect is what one set of injector manifests must agree on.
type injectorExpect struct {
	namespace string
	image     string // the injector's and the agents' image
	vaultAddr string // where the agents reach the server
}

// checkInjector holds the injector's objects to the rules: two
// replicas of `vaultd injector` with -tls-auto naming the webhook
// configuration, a Service in front, failurePolicy Ignore, a namespace
// selector skipping the server's namespace and kube-system, a timeout, and
// RBAC limited to what the injector uses.
func checkInjector(t reporter, o *objects, want injectorExpect) {
	t.Helper()
	if len(o.deployments) != 1 || len(o.webhooks) != 1 {
		t.Fatalf("want one Deployment and one MutatingWebhookConfiguration, got %d and %d", len(o.deployments), len(o.webhooks))
	}
	dep, mwc := o.deployments[0], o.webhooks[0]
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 2 {
		t.Errorf("injector replicas %v, want 2", dep.Spec.Replicas)
	}
	spec := dep.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("injector containers: %d", len(spec.Containers))
	}
	c := spec.Containers[0]
	if c.Image != want.image || strings.Join(append(c.Command, c.Args...), " ") != "/usr/local/bin/vaultd injector" {
		t.Errorf("injector runs %s %v %v", c.Image, c.Command, c.Args)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["AGENT_INJECT_VAULT_IMAGE"] != want.image {
		t.Errorf("agent image %q, want the vaultd image %q", env["AGENT_INJECT_VAULT_IMAGE"], want.image)
	}
	if env["AGENT_INJECT_VAULT_ADDR"] != want.vaultAddr {
		t.Errorf("agents' address %q, want %q", env["AGENT_INJECT_VAULT_ADDR"], want.vaultAddr)
	}
	if env["AGENT_INJECT_TLS_AUTO"] != mwc.Name {
		t.Errorf("AGENT_INJECT_TLS_AUTO %q does not name the webhook configuration %q", env["AGENT_INJECT_TLS_AUTO"], mwc.Name)
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("injector security context %+v", sc)
	}
	if spec.SecurityContext == nil || spec.SecurityContext.RunAsNonRoot == nil || !*spec.SecurityContext.RunAsNonRoot {
		t.Error("injector pod may run as root")
	}
	checkResources(t, c)
	if r := c.ReadinessProbe; r == nil || r.HTTPGet == nil || r.HTTPGet.Path != "/health/ready" || r.HTTPGet.Scheme != corev1.URISchemeHTTPS {
		t.Errorf("readiness probe %+v, want HTTPS /health/ready", c.ReadinessProbe)
	}

	// The Service selects the injector pods (and not the server's), and
	// the webhook calls that Service; the certificate names it.
	var svc *corev1.Service
	for _, s := range o.services {
		if mwc.Webhooks[0].ClientConfig.Service != nil && s.Name == mwc.Webhooks[0].ClientConfig.Service.Name {
			svc = s
		}
	}
	if svc == nil {
		t.Fatalf("the webhook calls %+v, which is not a Service of the set", mwc.Webhooks[0].ClientConfig)
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(dep.Spec.Template.Labels)) {
		t.Errorf("Service %s does not select the injector pods", svc.Name)
	}
	for _, s := range o.services {
		if s != svc && len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(dep.Spec.Template.Labels)) {
			t.Errorf("the server's Service %s also selects the injector pods", s.Name)
		}
	}
	hosts := strings.ReplaceAll(env["AGENT_INJECT_TLS_AUTO_HOSTS"], "$(NAMESPACE)", want.namespace)
	if !slices.Contains(strings.Split(hosts, ","), svc.Name+"."+want.namespace+".svc") {
		t.Errorf("AGENT_INJECT_TLS_AUTO_HOSTS %q lacks %s.%s.svc, the name the API server calls", hosts, svc.Name, want.namespace)
	}
	wh := mwc.Webhooks[0]
	if wh.ClientConfig.Service.Namespace != want.namespace || wh.ClientConfig.Service.Path == nil || *wh.ClientConfig.Service.Path != "/mutate" {
		t.Errorf("webhook client config %+v", wh.ClientConfig.Service)
	}
	if wh.FailurePolicy == nil || *wh.FailurePolicy != admissionregistrationv1.Ignore {
		t.Errorf("failurePolicy %v, want Ignore", wh.FailurePolicy)
	}
	if wh.TimeoutSeconds == nil || *wh.TimeoutSeconds > 15 {
		t.Errorf("timeoutSeconds %v, want a short timeout", wh.TimeoutSeconds)
	}
	if len(wh.ClientConfig.CABundle) != 0 {
		t.Error("the manifests carry a caBundle; the injector writes it")
	}
	for ns, sent := range map[string]bool{want.namespace: false, "kube-system": false, "default": true, "apps": true} {
		sel := wh.NamespaceSelector
		if sel == nil {
			t.Fatal("no namespaceSelector")
		}
		ok := true
		for _, e := range sel.MatchExpressions {
			if e.Key == "kubernetes.io/metadata.name" && e.Operator == "NotIn" && slices.Contains(e.Values, ns) {
				ok = false
			}
		}
		if ok != sent {
			t.Errorf("namespace %s: sent to the webhook %v, want %v", ns, ok, sent)
		}
	}

	// RBAC: only what the injector uses.
	sa := spec.ServiceAccountName
	if len(o.clusterRoles) != 1 || len(o.roles) != 1 {
		t.Fatalf("want one ClusterRole and one Role, got %d and %d", len(o.clusterRoles), len(o.roles))
	}
	cr := o.clusterRoles[0]
	if len(cr.Rules) != 1 || !slices.Equal(cr.Rules[0].Resources, []string{"mutatingwebhookconfigurations"}) ||
		!slices.Equal(cr.Rules[0].ResourceNames, []string{mwc.Name}) || !slices.Equal(cr.Rules[0].Verbs, []string{"get", "patch", "watch"}) {
		t.Errorf("ClusterRole grants more than get/patch/watch on its own webhook configuration: %+v", cr.Rules)
	}
	secret := env["AGENT_INJECT_TLS_AUTO_SECRET"]
	for _, r := range o.roles[0].Rules {
		if !slices.Equal(r.Resources, []string{"secrets"}) {
			t.Errorf("Role rule on %v", r.Resources)
		}
		if len(r.ResourceNames) == 0 && !slices.Equal(r.Verbs, []string{"create"}) {
			t.Errorf("Role grants %v on every Secret", r.Verbs)
		}
		if len(r.ResourceNames) > 0 && !slices.Equal(r.ResourceNames, []string{secret}) {
			t.Errorf("Role names %v, the injector uses %q", r.ResourceNames, secret)
		}
	}
	boundCR, boundRole := false, false
	for _, b := range o.bindings {
		if b.RoleRef.Name == cr.Name && len(b.Subjects) == 1 && b.Subjects[0].Name == sa && b.Subjects[0].Namespace == want.namespace {
			boundCR = true
		}
	}
	for _, b := range o.roleBindings {
		if b.RoleRef.Name == o.roles[0].Name && len(b.Subjects) == 1 && b.Subjects[0].Name == sa {
			boundRole = true
		}
	}
	if !boundCR || !boundRole {
		t.Errorf("the roles are not bound to the injector's service account %s (cluster role %v, role %v)", sa, boundCR, boundRole)
	}
	found := false
	for _, s := range o.serviceAccounts {
		found = found || s.Name == sa
	}
	if !found {
		t.Errorf("the injector's service account %s is not in the set", sa)
	}
}

// plainWithInjector is deploy/kubernetes followed by its injector/ folder,
// as `kubectl apply -f deploy/kubernetes -f deploy/kubernetes/injector`
// reads them.
func plainWithInjector(t *testing.T) []byte {
	root := repoRoot(t)
	return append(readManifestDir(t, filepath.Join(root, "deploy", "kubernetes")),
		readManifestDir(t, filepath.Join(root, "deploy", "kubernetes", "injector"))...)
}

// TestAgentCommandIsTheImagesBinary: the agent containers the injector
// adds run the binary where the Dockerfile puts it (the image has no shell
// and no PATH lookup to fall back on).
func TestAgentCommandIsTheImagesBinary(t *testing.T) {
	if img := dockerImageOf(t); img.binary != injector.AgentCommand {
		t.Fatalf("the injector runs %s, the image has vaultd at %s", injector.AgentCommand, img.binary)
	}
}

func TestInjectorManifests(t *testing.T) {
	o, err := decodeObjects(plainWithInjector(t))
	if err != nil {
		t.Fatal(err)
	}
	checkInjector(t, o, injectorExpect{namespace: "vaultd", image: plainImage, vaultAddr: "http://vaultd.vaultd.svc:8200"})
}

func TestInjectorChecksCatchMistakes(t *testing.T) {
	base := string(plainWithInjector(t))
	cases := []struct{ name, from, to, want string }{
		{"one replica", "replicas: 2", "replicas: 1", "replicas"},
		{"fail closed", "failurePolicy: Ignore", "failurePolicy: Fail", "failurePolicy"},
		{"own namespace injected", `values: ["vaultd", "kube-system"]`, `values: ["kube-system"]`, "namespace vaultd"},
		{"secrets for all", `    resourceNames: ["vaultd-injector-tls"]` + "\n", "", "on every Secret"},
		{"another agent image", "value: vaultd/vaultd:0.1.0", "value: hashicorp/vault:1.15", "agent image"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.from) {
				t.Fatalf("the manifests no longer contain %q", tc.from)
			}
			ft := &fakeT{}
			func() {
				defer func() { _ = recover() }()
				o, err := decodeObjects([]byte(strings.Replace(base, tc.from, tc.to, 1)))
				if err != nil {
					ft.Error(err)
					return
				}
				checkInjector(ft.asT(t), o, injectorExpect{namespace: "vaultd", image: plainImage, vaultAddr: "http://vaultd.vaultd.svc:8200"})
			}()
			if !ft.failed || !strings.Contains(strings.Join(ft.msgs, "\n"), tc.want) {
				t.Errorf("the checks did not catch %s (want %q): %v", tc.name, tc.want, ft.msgs)
			}
		})
	}
}

func TestInjectorManifestsServerDryRun(t *testing.T) {
	data := plainWithInjector(t)
	o, err := decodeObjects(data)
	if err != nil {
		t.Fatal(err)
	}
	n, out, err := serverDryRun(t, writeTemp(t, "all.yaml", data))
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server: %v\n%s", err, out)
	}
	if want := objectCount(o); n != want {
		t.Fatalf("the API server accepted %d objects, the manifests have %d:\n%s", n, want, out)
	}
}

// walkthroughSets are the article's `helm install` values, verbatim.
var walkthroughSets = []string{"--set", "server.dev.enabled=true", "--set", "server.dev.devRootToken=root", "--set", "injector.enabled=true"}

func TestHelmInjector(t *testing.T) {
	out := helmTemplate(t, "--set", "injector.enabled=true")
	o, err := decodeObjects([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	checkInjector(t, o, injectorExpect{namespace: "vaultd", image: "vaultd/vaultd:" + chartAppVersion(t), vaultAddr: "http://vaultd.vaultd.svc:8200"})
	if len(o.statefulSets) != 1 || len(o.statefulSets[0].Spec.VolumeClaimTemplates) != 1 {
		t.Error("the injector changed the server")
	}
	// Off by default: the chart's default objects are the server's alone.
	if d, _ := decodeObjects([]byte(helmTemplate(t))); d.injectorCount() != 0 {
		t.Errorf("the default chart renders %d injector objects", d.injectorCount())
	}
}

// TestHelmWalkthroughValues: the article's `helm install vault ...
// --namespace vault` line means with our chart what it means with Vault's:
// a dev server vault-0 with root token "root", and the injector.
func TestHelmWalkthroughValues(t *testing.T) {
	args := append([]string{"template", "vault", chartDir(t), "--namespace", "vault"}, walkthroughSets...)
	out, err := runHelm(t, args...)
	if err != nil {
		t.Fatalf("helm %v: %v\n%s", args, err, out)
	}
	o, err := decodeObjects([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	checkInjector(t, o, injectorExpect{namespace: "vault", image: "vaultd/vaultd:" + chartAppVersion(t), vaultAddr: "http://vault.vault.svc:8200"})
	if len(o.statefulSets) != 1 {
		t.Fatalf("statefulsets: %d", len(o.statefulSets))
	}
	sts := o.statefulSets[0]
	if sts.Name != "vault" {
		t.Errorf("StatefulSet %q: the article execs into vault-0", sts.Name)
	}
	c := sts.Spec.Template.Spec.Containers[0]
	if strings.Join(c.Args, " ") != "server -dev" || !hasEnv(c, "VAULT_DEV_ROOT_TOKEN_ID", "root") || !hasEnv(c, "VAULT_DEV_LISTEN_ADDRESS", "0.0.0.0:8200") {
		t.Errorf("dev server: args %v env %v", c.Args, c.Env)
	}
	if len(sts.Spec.VolumeClaimTemplates) != 0 {
		t.Error("a dev server with a persistent volume")
	}

	c2 := cluster.Get(t)
	if err := c2.EnsureNamespace(t.Context(), "vault", nil); err != nil {
		t.Fatal(err)
	}
	res, err := c2.Kubectl(t.Context(), "apply", "--dry-run=server", "--validate=strict", "-f", writeTemp(t, "walkthrough.yaml", []byte(out)))
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server: %v\n%s", err, res)
	}
	if n := bytes.Count(res, []byte("(server dry run)")); n != objectCount(o) {
		t.Fatalf("the API server accepted %d objects of %d:\n%s", n, objectCount(o), res)
	}
}

// TestHelmWalkthroughInstall: `helm install` with the article's line
// passes Helm's checks against the API server, and the notes it prints
// describe a dev server and the injector, not the unseal ceremony.
func TestHelmWalkthroughInstall(t *testing.T) {
	c := cluster.Get(t)
	args := append([]string{"install", "vault", chartDir(t), "--namespace", "vault", "--create-namespace", "--dry-run=server"}, walkthroughSets...)
	out, err := runHelmWith(t, c.KubeconfigPath, args...)
	if err != nil {
		t.Fatalf("helm install --dry-run=server: %v\n%s", err, out)
	}
	notes := out[strings.Index(out, "NOTES:"):]
	for _, want := range []string{"DEV server", `root token "root"`, "kubectl exec -n vault vault-0 -- vaultd status", "vault-agent-injector-cfg"} {
		if !strings.Contains(notes, want) {
			t.Errorf("the notes lack %q:\n%s", want, notes)
		}
	}
	if strings.Contains(notes, "operator unseal") {
		t.Errorf("the notes of a dev server ask for the unseal ceremony:\n%s", notes)
	}
}

func TestHelmInjectorServerDryRun(t *testing.T) {
	rendered := helmTemplate(t, "--set", "injector.enabled=true", "--set", "injector.nativeSidecar=true",
		"--set", "injector.webhook.failurePolicy=Fail", "--set", "injector.externalVaultAddr=https://vaultd.example.com:8200")
	o, err := decodeObjects([]byte(rendered))
	if err != nil {
		t.Fatal(err)
	}
	n, out, err := serverDryRun(t, writeTemp(t, "rendered.yaml", []byte(rendered)))
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server: %v\n%s", err, out)
	}
	if want := objectCount(o); n != want {
		t.Fatalf("the API server accepted %d objects, the chart rendered %d:\n%s", n, want, out)
	}
}

func TestHelmInjectorRefusesBadValues(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"injector.webhook.failurePolicy=Sometimes", "/injector/webhook/failurePolicy"},
		{"injector.agentDefaults.cpuLimit=banana", "/injector/agentDefaults/cpuLimit"},
		{"injector.agentDefaults.template=yaml", "/injector/agentDefaults/template"},
		{"injector.replicas=0", "/injector/replicas"},
	} {
		out, err := runHelm(t, "template", "vaultd", chartDir(t), "--namespace", "vaultd", "--set", "injector.enabled=true", "--set", tc.set)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("--set %s: err %v, output does not name %s:\n%s", tc.set, err, tc.want, out)
		}
	}
}
