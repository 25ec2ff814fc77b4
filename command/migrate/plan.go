package migrate

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// BinarySuffix marks a KV key whose value is the base64 of a Secret value
// that is not UTF-8 text: Secret key "keystore.p12" becomes KV key
// "keystore.p12.base64".
const BinarySuffix = ".base64"

// DefaultPathTemplate is where a Secret goes unless told otherwise.
const DefaultPathTemplate = "secret/data/{namespace}/{name}"

// Options select the Secrets and shape the plan.
type Options struct {
	// Namespaces to read; empty with AllNamespaces false means "default".
	Namespaces    []string
	AllNamespaces bool
	// Selector is a label selector; Names, when set, are the Secrets to
	// take (in each namespace) and Selector must be empty.
	Selector string
	Names    []string
	// PathTemplate is the KV v2 API path, with {namespace} and {name}:
	// "<mount>/data/<rest>".
	PathTemplate string
	// AuthMount is the Kubernetes auth method's mount ("kubernetes").
	AuthMount string
	// RoleTTL is the token TTL of the emitted roles ("1h").
	RoleTTL string
}

// Plan is everything a run would do.
type Plan struct {
	Secrets   []*SecretPlan
	Workloads []*Workload
	// Warnings are references the plan could not carry over (an env var
	// name a shell cannot export, a Secret that is not migrated, …).
	Warnings []string
}

// SecretPlan is one Secret and where it goes.
type SecretPlan struct {
	Namespace, Name string
	UID             string
	ResourceVersion string
	Type            string
	// Keys are the Secret's keys, sorted.
	Keys []string
	// Data is what is written to KV: Secret key → text, or key+BinarySuffix
	// → base64 for binary values.
	Data map[string]string
	// Binary holds the Secret keys whose values are binary.
	Binary map[string]bool
	// Mount and Path split the destination: Mount "secret", Path
	// "ns/name"; APIPath is "secret/data/ns/name".
	Mount, Path, APIPath string
	// Consumers are the workloads that use the Secret ("Deployment/web").
	Consumers []*Workload
}

// KVKey is the KV key a Secret key is stored under.
func (s *SecretPlan) KVKey(key string) string {
	if s.Binary[key] {
		return key + BinarySuffix
	}
	return key
}

// CustomMetadata is what the KV entry records about its source.
func (s *SecretPlan) CustomMetadata() map[string]string {
	return map[string]string{
		"migrated-from":    "kubernetes-secret",
		"source-namespace": s.Namespace,
		"source-name":      s.Name,
		"source-uid":       s.UID,
		"source-type":      s.Type,
	}
}

// Build reads the Secrets and the workloads that consume them and returns
// the plan. It writes nothing. A Secret that cannot be carried over as it
// is (a key that collides with another after the binary marker is added)
// fails the whole plan, so that no run starts that would stop half-way.
func Build(ctx context.Context, kc kubernetes.Interface, o Options) (*Plan, error) {
	if o.PathTemplate == "" {
		o.PathTemplate = DefaultPathTemplate
	}
	if o.AuthMount == "" {
		o.AuthMount = "kubernetes"
	}
	if o.RoleTTL == "" {
		o.RoleTTL = "1h"
	}
	if len(o.Names) > 0 && o.Selector != "" {
		return nil, errors.New("give Secret names or a label selector, not both")
	}
	if len(o.Names) > 0 && o.AllNamespaces {
		return nil, errors.New("names of Secrets need a namespace, not -all-namespaces")
	}
	if _, _, _, err := destination(o.PathTemplate, "ns", "name"); err != nil {
		return nil, err
	}
	secrets, err := readSecrets(ctx, kc, o)
	if err != nil {
		return nil, err
	}
	p := &Plan{}
	var problems []string
	for i := range secrets {
		sp, err := planSecret(&secrets[i], o.PathTemplate)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		p.Secrets = append(p.Secrets, sp)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%d Secret(s) cannot be migrated, nothing was done:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	seen := map[string]bool{}
	for _, s := range p.Secrets {
		if dup := s.APIPath; seen[dup] {
			return nil, fmt.Errorf("two Secrets map to %s; use a path template with {namespace} and {name}", dup)
		}
		seen[s.APIPath] = true
	}
	if err := findConsumers(ctx, kc, p, o); err != nil {
		return nil, err
	}
	return p, nil
}

func readSecrets(ctx context.Context, kc kubernetes.Interface, o Options) ([]corev1.Secret, error) {
	namespaces := o.Namespaces
	if o.AllNamespaces {
		namespaces = []string{metav1.NamespaceAll}
	} else if len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceDefault}
	}
	var out []corev1.Secret
	for _, ns := range namespaces {
		if len(o.Names) > 0 {
			for _, n := range o.Names {
				s, err := kc.CoreV1().Secrets(ns).Get(ctx, n, metav1.GetOptions{})
				if err != nil {
					return nil, fmt.Errorf("reading Secret %s/%s: %w", ns, n, err)
				}
				out = append(out, *s)
			}
			continue
		}
		list, err := kc.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: o.Selector})
		if err != nil {
			return nil, fmt.Errorf("listing Secrets in %q: %w", nsLabel(ns), err)
		}
		for _, s := range list.Items {
			// Service-account tokens are minted by the cluster for the
			// cluster; they are not the application's to move.
			if s.Type == corev1.SecretTypeServiceAccountToken {
				continue
			}
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func nsLabel(ns string) string {
	if ns == "" {
		return "all namespaces"
	}
	return ns
}

// planSecret decodes one Secret (client-go has already base64-decoded its
// data) into the KV data to write.
func planSecret(s *corev1.Secret, tmpl string) (*SecretPlan, error) {
	mount, path, api, err := destination(tmpl, s.Namespace, s.Name)
	if err != nil {
		return nil, err
	}
	sp := &SecretPlan{
		Namespace: s.Namespace, Name: s.Name, UID: string(s.UID), ResourceVersion: s.ResourceVersion,
		Type: string(s.Type), Data: map[string]string{}, Binary: map[string]bool{},
		Mount: mount, Path: path, APIPath: api,
	}
	values := map[string][]byte{}
	for k, v := range s.Data {
		values[k] = v
	}
	for k, v := range s.StringData { // never set on a read, but honoured
		values[k] = []byte(v)
	}
	for k := range values {
		sp.Keys = append(sp.Keys, k)
	}
	sort.Strings(sp.Keys)
	owner := map[string]string{}
	for _, k := range sp.Keys {
		v := values[k]
		kvKey, val := k, string(v)
		if !utf8.Valid(v) {
			sp.Binary[k] = true
			kvKey, val = k+BinarySuffix, base64.StdEncoding.EncodeToString(v)
		}
		if other, dup := owner[kvKey]; dup {
			return nil, fmt.Errorf("secret %s/%s: key %q and key %q would both be stored as %q (binary values get the %q suffix)",
				s.Namespace, s.Name, other, k, kvKey, BinarySuffix)
		}
		owner[kvKey] = k
		sp.Data[kvKey] = val
	}
	return sp, nil
}

// destination fills the path template: "secret/data/{namespace}/{name}"
// gives mount "secret", path "ns/name".
func destination(tmpl, namespace, name string) (mount, path, api string, err error) {
	api = strings.NewReplacer("{namespace}", namespace, "{name}", name).Replace(tmpl)
	api = strings.Trim(api, "/")
	mount, rest, ok := strings.Cut(api, "/data/")
	if !ok || mount == "" || rest == "" || strings.Contains(mount, "{") || strings.Contains(rest, "{") {
		return "", "", "", fmt.Errorf("path template %q: want <mount>/data/<path> with {namespace} and {name}", tmpl)
	}
	return mount, rest, api, nil
}
