package migrate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// The Vault Agent injector's annotations.
const (
	annPrefix         = "vault.hashicorp.com/"
	AnnInject         = annPrefix + "agent-inject"
	AnnRole           = annPrefix + "role"
	AnnAuthPath       = annPrefix + "auth-path"
	AnnSecretPrefix   = annPrefix + "agent-inject-secret-"
	AnnTemplatePrefix = annPrefix + "agent-inject-template-"
	AnnFilePrefix     = annPrefix + "agent-inject-file-"
	// DefaultSecretsDir is where the injector mounts rendered files.
	DefaultSecretsDir = "/vault/secrets"
)

// Policy is the workload's policy: read on exactly the KV paths of the
// Secrets it uses, nothing else.
func (w *Workload) Policy() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s/%s: read on the Secrets it used, as migrated by vaultd migrate k8s-secrets.\n", w.Kind, w.Namespace, w.Name)
	for _, s := range w.Secrets {
		fmt.Fprintf(&b, "path %s {\n  capabilities = [\"read\"]\n}\n", strconv.Quote(s.APIPath))
	}
	return b.String()
}

// RoleData is the body of the Kubernetes auth role: bound to the
// workload's service account in its namespace, with its policy alone.
func (w *Workload) RoleData(ttl string) map[string]any {
	return map[string]any{
		"bound_service_account_names":      []string{w.ServiceAccount},
		"bound_service_account_namespaces": []string{w.Namespace},
		"token_policies":                   []string{w.PolicyName()},
		"token_ttl":                        ttl,
	}
}

// Annotations are the injector annotations of the workload's pod
// template: one env file per container ("<container>.env", export lines)
// and one file per key of each Secret volume, under
// /vault/secrets/<volume>/ (agent-inject-file with a sub-directory).
func (w *Workload) Annotations(authMount string) map[string]string {
	a := map[string]string{AnnInject: "true", AnnRole: w.PolicyName()}
	if authMount != "" && authMount != "kubernetes" {
		a[AnnAuthPath] = "auth/" + strings.Trim(authMount, "/")
	}
	names := map[string]bool{}
	add := func(want, secretPath, tmpl, file string) {
		n := annName(want, names)
		a[AnnSecretPrefix+n] = secretPath
		a[AnnTemplatePrefix+n] = tmpl
		a[AnnFilePrefix+n] = file
	}
	byContainer := map[string][]EnvRef{}
	var containers []string
	for _, e := range w.Env {
		if byContainer[e.Container] == nil {
			containers = append(containers, e.Container)
		}
		byContainer[e.Container] = append(byContainer[e.Container], e)
	}
	for _, c := range containers {
		refs := byContainer[c]
		add(c+"-env", refs[0].Secret.APIPath, envTemplate(refs), c+".env")
	}
	for _, f := range w.Files {
		add(f.Volume+"-"+f.File, f.Secret.APIPath, fileTemplate(f), path.Join(f.Volume, f.File))
	}
	return a
}

// envTemplate renders export lines, the values single-quoted for a
// POSIX shell, one `with secret` per Secret in order of first use.
func envTemplate(refs []EnvRef) string {
	var order []*SecretPlan
	by := map[*SecretPlan][]EnvRef{}
	for _, r := range refs {
		if by[r.Secret] == nil {
			order = append(order, r.Secret)
		}
		by[r.Secret] = append(by[r.Secret], r)
	}
	var b strings.Builder
	for _, s := range order {
		fmt.Fprintf(&b, "{{ with secret %s }}{{ with .Data.data }}", strconv.Quote(s.APIPath))
		for _, r := range by[s] {
			fmt.Fprintf(&b, "export %s='{{ %s | replaceAll \"'\" \"'\\\"'\\\"'\" }}'\n", r.Var, valueExpr(s, r.Key))
		}
		b.WriteString("{{ end }}{{ end }}")
	}
	return b.String()
}

// fileTemplate renders one key's value as the whole file.
func fileTemplate(f FileRef) string {
	return fmt.Sprintf("{{ with secret %s }}{{ with .Data.data }}{{ %s }}{{ end }}{{ end }}", strconv.Quote(f.Secret.APIPath), valueExpr(f.Secret, f.Key))
}

// valueExpr reads one Secret key from the KV data (the dot): binary
// values are decoded back to their bytes.
func valueExpr(s *SecretPlan, key string) string {
	e := fmt.Sprintf("index . %s", strconv.Quote(s.KVKey(key)))
	if s.Binary[key] {
		e += " | base64Decode"
	}
	return e
}

var annBad = regexp.MustCompile(`[^a-z0-9.-]+`)

// maxAnnName keeps "agent-inject-template-<name>" within the 63
// characters an annotation key's name may have.
const maxAnnName = 63 - len("agent-inject-template-")

// annName makes want a valid, unique annotation suffix.
func annName(want string, used map[string]bool) string {
	n := strings.Trim(annBad.ReplaceAllString(strings.ToLower(want), "-"), "-.")
	if n == "" {
		n = "secret"
	}
	if len(n) > maxAnnName || used[n] {
		sum := sha256.Sum256([]byte(want))
		tag := hex.EncodeToString(sum[:4])
		n = strings.Trim(n[:min(len(n), maxAnnName-len(tag)-1)], "-.") + "-" + tag
	}
	used[n] = true
	return n
}

// Patch is the workload's patch as YAML: the object's identity and the
// pod template's new annotations, for `kubectl patch --patch-file`,
// `kubectl apply` or a GitOps repository.
func (w *Workload) Patch(authMount string) ([]byte, error) {
	tmpl := map[string]any{"metadata": map[string]any{"annotations": w.Annotations(authMount)}}
	spec := map[string]any{"template": tmpl}
	if w.Kind == "CronJob" {
		spec = map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": tmpl}}}
	}
	obj := map[string]any{
		"apiVersion": w.APIVersion,
		"kind":       w.Kind,
		"metadata":   map[string]any{"name": w.Name, "namespace": w.Namespace},
		"spec":       spec,
	}
	b, err := yaml.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("patch of %s/%s: %w", w.Namespace, w.ID(), err)
	}
	return b, nil
}

// SecretNames lists the workload's Secrets, for a table.
func (w *Workload) SecretNames() []string {
	out := make([]string, 0, len(w.Secrets))
	for _, s := range w.Secrets {
		out = append(out, s.Name)
	}
	sort.Strings(out)
	return out
}
