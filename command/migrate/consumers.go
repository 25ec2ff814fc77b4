package migrate

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Workload is one consumer of migrated Secrets.
type Workload struct {
	Kind, APIVersion, Namespace, Name string
	ServiceAccount                    string
	// Env are the env-style references, per container.
	Env []EnvRef
	// Files are the volume references: a file per key.
	Files []FileRef
	// Secrets are the migrated Secrets it uses.
	Secrets []*SecretPlan
}

// ID is "Deployment/web".
func (w *Workload) ID() string { return w.Kind + "/" + w.Name }

// EnvRef is one environment variable a container took from a Secret.
type EnvRef struct {
	Container string
	Var       string // the variable's name
	Secret    *SecretPlan
	Key       string // the Secret key
}

// FileRef is one file a volume of Secret keys held.
type FileRef struct {
	Volume string
	File   string // relative path in the volume: the key, or the item's path
	Secret *SecretPlan
	Key    string
}

var shellName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

type podSource struct {
	kind, apiVersion, name string
	spec                   *corev1.PodSpec
}

// findConsumers lists the workloads in the namespaces of the planned
// Secrets and records each reference to them.
func findConsumers(ctx context.Context, kc kubernetes.Interface, p *Plan, o Options) error {
	byNS := map[string]map[string]*SecretPlan{}
	for _, s := range p.Secrets {
		if byNS[s.Namespace] == nil {
			byNS[s.Namespace] = map[string]*SecretPlan{}
		}
		byNS[s.Namespace][s.Name] = s
	}
	namespaces := make([]string, 0, len(byNS))
	for ns := range byNS {
		namespaces = append(namespaces, ns)
	}
	sort.Strings(namespaces)
	for _, ns := range namespaces {
		sources, err := podSources(ctx, kc, ns)
		if err != nil {
			return err
		}
		for _, src := range sources {
			w := scan(src, ns, byNS[ns], p)
			if w == nil {
				continue
			}
			p.Workloads = append(p.Workloads, w)
			for _, s := range w.Secrets {
				s.Consumers = append(s.Consumers, w)
			}
		}
	}
	return nil
}

func podSources(ctx context.Context, kc kubernetes.Interface, ns string) ([]podSource, error) {
	var out []podSource
	lo := metav1.ListOptions{}
	wrap := func(kind string, err error) error {
		return fmt.Errorf("listing %ss in %q: %w", kind, ns, err)
	}
	deps, err := kc.AppsV1().Deployments(ns).List(ctx, lo)
	if err != nil {
		return nil, wrap("Deployment", err)
	}
	for i := range deps.Items {
		d := &deps.Items[i]
		out = append(out, podSource{"Deployment", "apps/v1", d.Name, &d.Spec.Template.Spec})
	}
	sts, err := kc.AppsV1().StatefulSets(ns).List(ctx, lo)
	if err != nil {
		return nil, wrap("StatefulSet", err)
	}
	for i := range sts.Items {
		d := &sts.Items[i]
		out = append(out, podSource{"StatefulSet", "apps/v1", d.Name, &d.Spec.Template.Spec})
	}
	dss, err := kc.AppsV1().DaemonSets(ns).List(ctx, lo)
	if err != nil {
		return nil, wrap("DaemonSet", err)
	}
	for i := range dss.Items {
		d := &dss.Items[i]
		out = append(out, podSource{"DaemonSet", "apps/v1", d.Name, &d.Spec.Template.Spec})
	}
	jobs, err := kc.BatchV1().Jobs(ns).List(ctx, lo)
	if err != nil {
		return nil, wrap("Job", err)
	}
	for i := range jobs.Items {
		d := &jobs.Items[i]
		if len(d.OwnerReferences) > 0 {
			continue // a CronJob's run: the CronJob is patched instead
		}
		out = append(out, podSource{"Job", "batch/v1", d.Name, &d.Spec.Template.Spec})
	}
	crons, err := kc.BatchV1().CronJobs(ns).List(ctx, lo)
	if err != nil {
		return nil, wrap("CronJob", err)
	}
	for i := range crons.Items {
		d := &crons.Items[i]
		out = append(out, podSource{"CronJob", "batch/v1", d.Name, &d.Spec.JobTemplate.Spec.Template.Spec})
	}
	return out, nil
}

// scan finds the references of one pod spec to the migrated Secrets of
// its namespace; nil when there are none.
func scan(src podSource, ns string, secrets map[string]*SecretPlan, p *Plan) *Workload {
	w := &Workload{Kind: src.kind, APIVersion: src.apiVersion, Namespace: ns, Name: src.name,
		ServiceAccount: src.spec.ServiceAccountName}
	if w.ServiceAccount == "" {
		w.ServiceAccount = "default"
	}
	used := map[*SecretPlan]bool{}
	warn := func(format string, args ...any) {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s/%s: ", ns, w.ID())+fmt.Sprintf(format, args...))
	}
	containers := append(append([]corev1.Container{}, src.spec.InitContainers...), src.spec.Containers...)
	for _, c := range containers {
		for _, from := range c.EnvFrom {
			if from.SecretRef == nil {
				continue
			}
			s := secrets[from.SecretRef.Name]
			if s == nil {
				continue
			}
			used[s] = true
			for _, k := range s.Keys {
				name := from.Prefix + k
				if !shellName.MatchString(name) {
					warn("container %s: key %q of Secret %s is not a shell variable name; left out of the env file", c.Name, k, s.Name)
					continue
				}
				w.Env = append(w.Env, EnvRef{Container: c.Name, Var: name, Secret: s, Key: k})
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				continue
			}
			ref := e.ValueFrom.SecretKeyRef
			s := secrets[ref.Name]
			if s == nil {
				continue
			}
			if !hasKey(s, ref.Key) {
				warn("container %s: env %s refers to key %q, which Secret %s does not have", c.Name, e.Name, ref.Key, s.Name)
				continue
			}
			used[s] = true
			if !shellName.MatchString(e.Name) {
				warn("container %s: env %s is not a shell variable name; left out of the env file", c.Name, e.Name)
				continue
			}
			w.Env = append(w.Env, EnvRef{Container: c.Name, Var: e.Name, Secret: s, Key: ref.Key})
		}
	}
	for _, v := range src.spec.Volumes {
		if v.Secret == nil {
			continue
		}
		s := secrets[v.Secret.SecretName]
		if s == nil {
			continue
		}
		used[s] = true
		if len(v.Secret.Items) == 0 {
			for _, k := range s.Keys {
				w.Files = append(w.Files, FileRef{Volume: v.Name, File: k, Secret: s, Key: k})
			}
			continue
		}
		for _, it := range v.Secret.Items {
			if !hasKey(s, it.Key) {
				warn("volume %s refers to key %q, which Secret %s does not have", v.Name, it.Key, s.Name)
				continue
			}
			w.Files = append(w.Files, FileRef{Volume: v.Name, File: it.Path, Secret: s, Key: it.Key})
		}
	}
	if len(used) == 0 {
		return nil
	}
	for s := range used {
		w.Secrets = append(w.Secrets, s)
	}
	sort.Slice(w.Secrets, func(i, j int) bool { return w.Secrets[i].Name < w.Secrets[j].Name })
	return w
}

func hasKey(s *SecretPlan, key string) bool {
	i := sort.SearchStrings(s.Keys, key)
	return i < len(s.Keys) && s.Keys[i] == key
}

// PolicyName is the name of the workload's policy and of its role:
// "<namespace>-<kind>-<name>", lower case.
func (w *Workload) PolicyName() string {
	return strings.ToLower(w.Namespace + "-" + w.Kind + "-" + w.Name)
}
