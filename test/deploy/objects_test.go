package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/vaultd/vaultd/config"
)

// objects is one set of manifests, decoded strictly (an unknown field is
// an error) into the Kubernetes API types.
type objects struct {
	namespaces      []*corev1.Namespace
	serviceAccounts []*corev1.ServiceAccount
	bindings        []*rbacv1.ClusterRoleBinding
	configMaps      []*corev1.ConfigMap
	statefulSets    []*appsv1.StatefulSet
	services        []*corev1.Service
	pdbs            []*policyv1.PodDisruptionBudget
	injectorObjects
}

// decodeObjects reads a stream of YAML documents.
func decodeObjects(data []byte) (*objects, error) {
	ser := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	out := &objects{}
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		obj, _, err := ser.Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("decode %q: %w", firstLines(doc, 3), err)
		}
		if err := out.add(obj); err != nil {
			return nil, err
		}
	}
}

func (o *objects) add(obj runtime.Object) error {
	switch v := obj.(type) {
	case *corev1.Namespace:
		o.namespaces = append(o.namespaces, v)
	case *corev1.ServiceAccount:
		o.serviceAccounts = append(o.serviceAccounts, v)
	case *rbacv1.ClusterRoleBinding:
		o.bindings = append(o.bindings, v)
	case *corev1.ConfigMap:
		o.configMaps = append(o.configMaps, v)
	case *appsv1.StatefulSet:
		o.statefulSets = append(o.statefulSets, v)
	case *corev1.Service:
		o.services = append(o.services, v)
	case *policyv1.PodDisruptionBudget:
		o.pdbs = append(o.pdbs, v)
	default:
		if o.addInjector(obj) {
			return nil
		}
		return fmt.Errorf("unexpected object %T", obj)
	}
	return nil
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for line := range strings.SplitSeq(string(doc), "\n") {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		b.WriteString(line + "\n")
	}
	return b.Bytes()
}

func firstLines(b []byte, n int) string {
	lines := strings.Split(string(stripComments(b)), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

// readManifestDir concatenates the YAML files of a directory in name order,
// as `kubectl apply -f DIR` reads them.
func readManifestDir(t *testing.T, dir string) []byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var all bytes.Buffer
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString("---\n")
		all.Write(data)
		all.WriteString("\n")
	}
	return all.Bytes()
}

// reporter is the part of *testing.T the checks use, so that a test can
// run them against broken manifests and see them fail.
type reporter interface {
	Helper()
	Error(args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	TempDir() string
}

// fakeT records failures instead of failing the test; Fatal stops the
// check by panicking with errFatal, which the caller recovers.
type fakeT struct {
	t      *testing.T
	failed bool
	msgs   []string
}

var errFatal = errors.New("fatal")

func (f *fakeT) asT(t *testing.T) *fakeT { f.t = t; return f }
func (f *fakeT) Helper()                 {}
func (f *fakeT) TempDir() string         { return f.t.TempDir() }
func (f *fakeT) Error(args ...any)       { f.failed = true; f.msgs = append(f.msgs, fmt.Sprint(args...)) }
func (f *fakeT) Errorf(format string, args ...any) {
	f.failed = true
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}
func (f *fakeT) Fatal(args ...any) { f.Error(args...); panic(errFatal) }
func (f *fakeT) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	panic(errFatal)
}

// expect is what a set of manifests must agree on, apart from the fixed
// rules every set obeys.
type expect struct {
	namespace string
	// image is the container image reference.
	image string
	// tls: the listener serves HTTPS and the probes use it.
	tls bool
	// mlock: memory locking on, so IPC_LOCK is added.
	mlock bool
	// withNamespace: the set creates its namespace.
	withNamespace bool
	// withBinding: the set binds system:auth-delegator.
	withBinding bool
	// withPDB: the set has a PodDisruptionBudget.
	withPDB bool
	// ha is the replica count of an integrated-storage (Raft) set; 0 for
	// the single bbolt server.
	ha int
}

// serverPod is the StatefulSet's single container and the things around it
// the checks need.
type serverPod struct {
	sts       *appsv1.StatefulSet
	container corev1.Container
}

// checkObjects applies every rule the issue sets for the deployment to one
// set of manifests, and returns the server's loaded configuration.
func checkObjects(t reporter, o *objects, img *dockerImage, want expect) *config.Config {
	t.Helper()
	if want.withNamespace {
		if len(o.namespaces) != 1 || o.namespaces[0].Name != want.namespace {
			t.Errorf("want one Namespace %q, got %d", want.namespace, len(o.namespaces))
		}
	} else if len(o.namespaces) != 0 {
		t.Errorf("unexpected Namespace objects: %d", len(o.namespaces))
	}
	if len(o.statefulSets) != 1 {
		t.Fatalf("want one StatefulSet, got %d", len(o.statefulSets))
	}
	pod := checkStatefulSet(t, o.statefulSets[0], img, want)
	checkServiceAccount(t, o, pod, want)
	checkServices(t, o, pod, want)
	checkPDB(t, o, pod, want)
	return checkConfig(t, o, pod, want)
}

func checkStatefulSet(t reporter, sts *appsv1.StatefulSet, img *dockerImage, want expect) serverPod {
	t.Helper()
	if sts.Namespace != want.namespace {
		t.Errorf("StatefulSet namespace = %q, want %q", sts.Namespace, want.namespace)
	}
	wantReplicas := int32(max(1, want.ha))
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != wantReplicas {
		t.Errorf("StatefulSet replicas = %v, want exactly %d", sts.Spec.Replicas, wantReplicas)
	}
	if want.ha > 0 {
		checkAntiAffinity(t, sts)
	}
	spec := sts.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(spec.Containers))
	}
	c := spec.Containers[0]
	if c.Image != want.image {
		t.Errorf("image = %q, want %q", c.Image, want.image)
	}
	sel, err := metaSelector(sts.Spec.Selector.MatchLabels)
	if err != nil || !sel.Matches(labels.Set(sts.Spec.Template.Labels)) {
		t.Errorf("StatefulSet selector %v does not match its pod labels %v", sts.Spec.Selector.MatchLabels, sts.Spec.Template.Labels)
	}
	checkSecurity(t, spec, c, img, want)
	checkCommand(t, c, img, want)
	checkResources(t, c)
	checkProbes(t, c, want)
	checkVolumes(t, sts, c, img)
	checkHome(t, spec, c, img)
	return serverPod{sts: sts, container: c}
}

// checkHome: HOME is a writable in-memory emptyDir, so that `vault login`
// in a `kubectl exec ... -- sh` session can keep ~/.vault-token on a
// read-only root filesystem without writing the token to a disk.
func checkHome(t reporter, spec corev1.PodSpec, c corev1.Container, img *dockerImage) {
	t.Helper()
	home := ""
	for _, e := range c.Env {
		if e.Name == "HOME" {
			home = e.Value
		}
	}
	if home == "" {
		t.Error("the container sets no HOME: vault login cannot store its token on the read-only root filesystem")
		return
	}
	if img != nil && img.finalEnv["HOME"] != "" && img.finalEnv["HOME"] != home {
		t.Errorf("HOME is %s in the pod, %s in the image", home, img.finalEnv["HOME"])
	}
	var mount *corev1.VolumeMount
	for i, m := range c.VolumeMounts {
		if m.MountPath == home {
			mount = &c.VolumeMounts[i]
		}
	}
	if mount == nil || mount.ReadOnly {
		t.Errorf("nothing is mounted at HOME (%s), or it is read-only", home)
		return
	}
	for _, v := range spec.Volumes {
		if v.Name == mount.Name {
			if v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory {
				t.Errorf("HOME (%s) is volume %q, not an in-memory emptyDir", home, v.Name)
			}
			return
		}
	}
	t.Errorf("HOME's volume %q is not in the pod", mount.Name)
}

func metaSelector(m map[string]string) (labels.Selector, error) {
	if len(m) == 0 {
		return nil, errors.New("empty selector")
	}
	return labels.SelectorFromSet(m), nil
}

func checkSecurity(t reporter, spec corev1.PodSpec, c corev1.Container, img *dockerImage, want expect) {
	t.Helper()
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Error("pod securityContext.runAsNonRoot is not true")
	}
	if psc == nil || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Error("pod securityContext.runAsUser is unset or root")
	} else if img != nil && img.uid >= 0 && *psc.RunAsUser != img.uid {
		t.Errorf("pod runs as uid %d but the Dockerfile's user is %d", *psc.RunAsUser, img.uid)
	}
	if psc == nil || psc.FSGroup == nil {
		t.Error("pod securityContext.fsGroup is unset: the data volume may not be writable")
	}
	sc := c.SecurityContext
	if sc == nil {
		t.Fatal("container has no securityContext")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("readOnlyRootFilesystem is not true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Error("container is privileged")
	}
	if sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("capabilities.drop = %v, want [ALL]", sc.Capabilities)
	}
	var added []string
	if sc.Capabilities != nil {
		for _, c := range sc.Capabilities.Add {
			added = append(added, string(c))
		}
	}
	wantAdd := ""
	if want.mlock {
		wantAdd = "IPC_LOCK"
	}
	if strings.Join(added, ",") != wantAdd {
		t.Errorf("capabilities.add = %v, want %q (memory locking %v)", added, wantAdd, want.mlock)
	}
}

func checkCommand(t reporter, c corev1.Container, img *dockerImage, want expect) {
	t.Helper()
	argv := append(append([]string{}, c.Command...), c.Args...)
	if img != nil && len(c.Command) > 0 && c.Command[0] != img.binary {
		t.Errorf("command %v does not run the Dockerfile's binary %s", c.Command, img.binary)
	}
	joined := strings.Join(argv, " ")
	if !strings.Contains(joined, "server") || !strings.Contains(joined, "-config=/vault/config") {
		t.Errorf("command %q does not run `vaultd server -config=/vault/config`", joined)
	}
	if want.ha > 0 {
		if len(c.Ports) != 2 || c.Ports[0].ContainerPort != 8200 || c.Ports[1].ContainerPort != 8201 {
			t.Errorf("container ports = %v, want 8200 and the cluster port 8201", c.Ports)
		}
	} else if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8200 {
		t.Errorf("container ports = %v, want 8200", c.Ports)
	}
}

func checkResources(t reporter, c corev1.Container) {
	t.Helper()
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[name]
		lim, okLim := c.Resources.Limits[name]
		if !okReq || !okLim {
			t.Errorf("resources: %s request and limit must both be set (got %v, %v)", name, c.Resources.Requests, c.Resources.Limits)
			continue
		}
		if req.Cmp(lim) > 0 {
			t.Errorf("resources: %s request %s exceeds the limit %s", name, req.String(), lim.String())
		}
	}
}

// readinessPath is the readiness query, verbatim.
const readinessPath = "/v1/sys/health?standbyok=true&sealedcode=204&uninitcode=204"

func checkProbes(t reporter, c corev1.Container, want expect) {
	t.Helper()
	scheme := corev1.URISchemeHTTP
	if want.tls {
		scheme = corev1.URISchemeHTTPS
	}
	r := c.ReadinessProbe
	if r == nil || r.HTTPGet == nil || r.HTTPGet.Path != readinessPath || r.HTTPGet.Scheme != scheme {
		t.Errorf("readinessProbe = %+v, want httpGet %s %s", r, scheme, readinessPath)
	}
	l := c.LivenessProbe
	switch {
	case l == nil:
		t.Error("no livenessProbe")
	case l.TCPSocket != nil:
	case l.HTTPGet != nil:
		p := l.HTTPGet.Path
		if !strings.Contains(p, "sealedcode=204") || !strings.Contains(p, "uninitcode=204") || l.HTTPGet.Scheme != scheme {
			t.Errorf("livenessProbe %s %s would fail a sealed or uninitialised server", l.HTTPGet.Scheme, p)
		}
	default:
		t.Errorf("livenessProbe is neither httpGet nor tcpSocket: %+v", l)
	}
	if l != nil && l.FailureThreshold*l.PeriodSeconds < 30 {
		t.Errorf("livenessProbe gives up after %ds; allow at least 30s", l.FailureThreshold*l.PeriodSeconds)
	}
	for name, p := range map[string]*corev1.Probe{"readiness": r, "liveness": l} {
		if p != nil && p.HTTPGet != nil && p.HTTPGet.Port.String() != "8200" && !hasPortName(c, p.HTTPGet.Port.String()) {
			t.Errorf("%s probe port %s is not the container's port", name, p.HTTPGet.Port.String())
		}
	}
}

func hasPortName(c corev1.Container, name string) bool {
	for _, p := range c.Ports {
		if p.Name == name {
			return true
		}
	}
	return false
}

func checkVolumes(t reporter, sts *appsv1.StatefulSet, c corev1.Container, img *dockerImage) {
	t.Helper()
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m
	}
	data, ok := mounts["/vault/data"]
	if !ok {
		t.Fatal("nothing is mounted at /vault/data")
	}
	if data.ReadOnly {
		t.Error("/vault/data is mounted read-only")
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 || sts.Spec.VolumeClaimTemplates[0].Name != data.Name {
		t.Errorf("/vault/data (volume %q) is not the StatefulSet's volumeClaimTemplate", data.Name)
	} else if _, ok := sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage]; !ok {
		t.Error("the data volumeClaimTemplate requests no storage size")
	}
	cfg, ok := mounts["/vault/config"]
	if !ok || !cfg.ReadOnly {
		t.Error("/vault/config is not mounted read-only")
	}
	if img != nil {
		for _, v := range img.volumes {
			if _, ok := mounts[v]; !ok {
				t.Errorf("the Dockerfile declares VOLUME %s but nothing is mounted there", v)
			}
		}
	}
}

func checkServiceAccount(t reporter, o *objects, pod serverPod, want expect) {
	t.Helper()
	sa := pod.sts.Spec.Template.Spec.ServiceAccountName
	if len(o.serviceAccounts) != 1 || o.serviceAccounts[0].Name != sa {
		t.Errorf("the pod's service account %q is not the one ServiceAccount in the set", sa)
	}
	if !want.withBinding {
		if len(o.bindings) != 0 {
			t.Errorf("unexpected ClusterRoleBindings: %d", len(o.bindings))
		}
		return
	}
	if len(o.bindings) != 1 {
		t.Fatalf("want one ClusterRoleBinding, got %d", len(o.bindings))
	}
	b := o.bindings[0]
	if b.RoleRef.Kind != "ClusterRole" || b.RoleRef.Name != "system:auth-delegator" {
		t.Errorf("binding roleRef = %+v, want ClusterRole system:auth-delegator", b.RoleRef)
	}
	if len(b.Subjects) != 1 || b.Subjects[0].Kind != "ServiceAccount" || b.Subjects[0].Name != sa || b.Subjects[0].Namespace != want.namespace {
		t.Errorf("binding subjects = %+v, want ServiceAccount %s/%s", b.Subjects, want.namespace, sa)
	}
}

func checkServices(t reporter, o *objects, pod serverPod, want expect) {
	t.Helper()
	var headless, normal []*corev1.Service
	for _, s := range o.services {
		if s.Spec.ClusterIP == corev1.ClusterIPNone {
			headless = append(headless, s)
		} else {
			normal = append(normal, s)
		}
		if !labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(pod.sts.Spec.Template.Labels)) || len(s.Spec.Selector) == 0 {
			t.Errorf("Service %s selector %v does not select the pod %v", s.Name, s.Spec.Selector, pod.sts.Spec.Template.Labels)
		}
		for _, p := range s.Spec.Ports {
			tp := p.TargetPort.String()
			if tp != "8200" && !hasPortName(pod.container, tp) {
				t.Errorf("Service %s targets port %s, which the container does not have", s.Name, tp)
			}
		}
	}
	if len(headless) != 1 || len(normal) != 1 {
		t.Fatalf("want one Service and one headless Service, got %d and %d", len(normal), len(headless))
	}
	if pod.sts.Spec.ServiceName != headless[0].Name {
		t.Errorf("StatefulSet serviceName %q is not the headless Service %q", pod.sts.Spec.ServiceName, headless[0].Name)
	}
	if !headless[0].Spec.PublishNotReadyAddresses {
		t.Error("the headless Service does not publish not-ready addresses")
	}
}

func checkPDB(t reporter, o *objects, pod serverPod, want expect) {
	t.Helper()
	if !want.withPDB {
		if len(o.pdbs) != 0 {
			t.Errorf("unexpected PodDisruptionBudgets: %d", len(o.pdbs))
		}
		return
	}
	if len(o.pdbs) != 1 {
		t.Fatalf("want one PodDisruptionBudget, got %d", len(o.pdbs))
	}
	p := o.pdbs[0]
	if want.ha > 0 && (p.Spec.MaxUnavailable == nil || p.Spec.MaxUnavailable.IntValue() != 1 || p.Spec.MinAvailable != nil) {
		t.Errorf("PodDisruptionBudget of an HA set: maxUnavailable %v minAvailable %v, want maxUnavailable 1 alone", p.Spec.MaxUnavailable, p.Spec.MinAvailable)
	}
	if p.Spec.Selector == nil || !labels.SelectorFromSet(p.Spec.Selector.MatchLabels).Matches(labels.Set(pod.sts.Spec.Template.Labels)) {
		t.Errorf("PodDisruptionBudget selector %v does not select the pod", p.Spec.Selector)
	}
}

// checkConfig loads the ConfigMap the pod mounts at /vault/config with
// vaultd's own config loader, exactly as the server would, and checks it
// agrees with the pod: bbolt on the data volume, a listener on 8200 whose
// TLS setting matches the probes, memory locking as the capabilities allow.
func checkConfig(t reporter, o *objects, pod serverPod, want expect) *config.Config {
	t.Helper()
	var cmName string
	for _, v := range pod.sts.Spec.Template.Spec.Volumes {
		for _, m := range pod.container.VolumeMounts {
			if m.Name == v.Name && m.MountPath == "/vault/config" && v.ConfigMap != nil {
				cmName = v.ConfigMap.Name
			}
		}
	}
	var cm *corev1.ConfigMap
	for _, c := range o.configMaps {
		if c.Name == cmName {
			cm = c
		}
	}
	if cm == nil {
		t.Fatalf("no ConfigMap %q mounted at /vault/config", cmName)
	}
	dir := t.TempDir()
	for name, text := range cm.Data {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	conf, err := config.LoadFiles([]string{dir})
	if err != nil {
		t.Fatalf("vaultd refuses the ConfigMap's configuration: %v", err)
	}
	if want.ha > 0 {
		checkRaftConfig(t, conf, pod, want)
	} else if conf.Storage.Type != config.StorageBbolt || conf.Storage.Path != "/vault/data" {
		t.Errorf("storage = %s %q, want bbolt at /vault/data", conf.Storage.Type, conf.Storage.Path)
	}
	if len(conf.Listeners) == 0 || conf.Listeners[0].Address != "0.0.0.0:8200" {
		t.Fatalf("first listener is not 0.0.0.0:8200: %+v", conf.Listeners)
	}
	l := conf.Listeners[0]
	if l.TLSDisable == want.tls {
		t.Errorf("listener tls_disable = %v, want %v", l.TLSDisable, !want.tls)
	}
	if want.tls {
		checkTLSFiles(t, pod, l)
	}
	if conf.DisableMlock == want.mlock {
		t.Errorf("disable_mlock = %v with memory locking wanted %v", conf.DisableMlock, want.mlock)
	}
	return conf
}

// checkTLSFiles makes sure the certificate and key the listener names are
// in a mounted Secret.
func checkTLSFiles(t reporter, pod serverPod, l *config.Listener) {
	t.Helper()
	for _, file := range []string{l.TLSCertFile, l.TLSKeyFile} {
		dir, key := filepath.Dir(file), filepath.Base(file)
		found := false
		for _, m := range pod.container.VolumeMounts {
			if m.MountPath != dir {
				continue
			}
			for _, v := range pod.sts.Spec.Template.Spec.Volumes {
				if v.Name == m.Name && v.Secret != nil && (len(v.Secret.Items) == 0 || hasItem(v.Secret.Items, key)) {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("TLS file %s is not in a mounted Secret", file)
		}
	}
}

func hasItem(items []corev1.KeyToPath, key string) bool {
	for _, it := range items {
		if it.Path == key {
			return true
		}
	}
	return false
}
