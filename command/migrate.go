package command

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vaultd/vaultd/command/migrate"
)

// The migrate family: moving other stores' secrets into vaultd. The work
// is in command/migrate; this file has the flags and the output.

func migrateCommands() []spec {
	return []spec{
		{name: "migrate k8s-secrets", synopsis: "Moves Kubernetes Secrets into KV v2 and plans their consumers' move", run: runMigrateK8s, help: `Usage: vaultd migrate k8s-secrets [options] [SECRET...]

  Reads Kubernetes Secrets (from a kubeconfig, or in a pod from its
  service account) in the -namespace, selected by -selector or by name,
  and the Deployments, StatefulSets, DaemonSets, Jobs and CronJobs that
  use them. Prints the plan: where each Secret goes in KV v2, who uses
  it, the policy and Kubernetes auth role each workload gets.

  Nothing is changed without -apply. With -apply the Secrets' keys are
  written (an existing entry holding other data stops the run unless
  -overwrite), then the policies and roles; the Secrets are deleted only
  with -delete-secrets, after their KV entries read back equal. With -out
  the policies, roles and injector-annotation patches are written as files.

      $ vaultd migrate k8s-secrets -namespace=payments
      $ vaultd migrate k8s-secrets -namespace=payments -apply -out=./migration
`},
	}
}

func runMigrateK8s(b *base, args []string) int {
	fs := b.flags(flagsHTTP)
	var o migrate.Options
	var ko migrate.KubeOptions
	var namespaces, out, format string
	var apply, overwrite, deleteSecrets bool
	fs.StringVar(&ko.Kubeconfig, "kubeconfig", "", "Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, else in-cluster).")
	fs.StringVar(&ko.Context, "context", "", "Kubeconfig context (default: its current context).")
	fs.StringVar(&namespaces, "namespace", "default", "Namespaces to read, comma-separated.")
	fs.BoolVar(&o.AllNamespaces, "all-namespaces", false, "Read every namespace.")
	fs.StringVar(&o.Selector, "selector", "", "Label selector of the Secrets (e.g. app=web).")
	fs.StringVar(&o.PathTemplate, "path", migrate.DefaultPathTemplate, "KV v2 destination, with {namespace} and {name}.")
	fs.StringVar(&o.AuthMount, "auth-mount", "kubernetes", "Mount of the Kubernetes auth method the roles go to.")
	fs.StringVar(&o.RoleTTL, "role-ttl", "1h", "Token TTL of the roles.")
	dryRun := fs.Bool("dry-run", true, "Only print the plan (the default; -apply overrides it).")
	fs.BoolVar(&apply, "apply", false, "Carry the plan out.")
	fs.BoolVar(&overwrite, "overwrite", false, "Replace KV entries that hold other data (check-and-set on the version read).")
	fs.BoolVar(&deleteSecrets, "delete-secrets", false, "With -apply, delete each Secret once its KV entry reads back equal.")
	fs.StringVar(&out, "out", "", "Directory to write the policies, roles and patches to.")
	fs.StringVar(&format, "format", "table", `Plan output: "table" or "json".`)
	pos, code, ok := b.parse(args)
	if !ok {
		return code
	}
	if format != "table" && format != "json" {
		b.errorf("Invalid output format: %s", format)
		return exitLocal
	}
	if !*dryRun && !apply {
		b.errorf("-dry-run=false does nothing by itself: use -apply to carry the plan out")
		return exitLocal
	}
	if deleteSecrets && !apply {
		b.errorf("-delete-secrets needs -apply")
		return exitLocal
	}
	o.Names = pos
	if len(pos) > 0 && (o.Selector != "" || o.AllNamespaces) {
		b.errorf("Give Secret names, or -selector / -all-namespaces, not both")
		return exitLocal
	}
	for _, ns := range strings.Split(namespaces, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			o.Namespaces = append(o.Namespaces, ns)
		}
	}
	kc, _, err := migrate.KubeClient(ko)
	if err != nil {
		b.errorf("Error: %s", err)
		return exitLocal
	}
	plan, err := migrate.Build(b.ctx, kc, o)
	if err != nil {
		b.errorf("Error planning the migration: %s", err)
		return exitRemote
	}
	p := b.out()
	for _, w := range plan.Warnings {
		p.warn("WARNING: " + w)
	}
	if out != "" {
		if err := writeArtifacts(out, plan, o); err != nil {
			b.errorf("Error writing to %s: %s", out, err)
			return exitLocal
		}
	}
	if !apply {
		return printPlan(p, plan, format, o.AuthMount)
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	res, err := migrate.Apply(b.ctx, client, kc, plan, migrate.ApplyOptions{
		Overwrite: overwrite, DeleteSecrets: deleteSecrets, AuthMount: o.AuthMount, RoleTTL: o.RoleTTL,
		Progress: func(s migrate.Step) {
			p.progressf("[%d/%d] %s %s: %s", s.N, s.Total, s.What, s.Target, s.Outcome)
		},
	})
	if err != nil {
		var conflict *migrate.ConflictError
		if errors.As(err, &conflict) {
			b.errorf("Error: %s", err)
			return exitRemote
		}
		b.errorf("Error applying the migration (run it again to resume): %s", err)
		return exitRemote
	}
	if c := printPlan(p, plan, format, o.AuthMount); c != exitOK {
		return c
	}
	if format == "table" {
		p.linef("")
		p.success("%d written, %d unchanged, %d Secrets deleted.", res.Count(migrate.Written), res.Count(migrate.Unchanged), res.Count(migrate.Deleted))
	}
	return exitOK
}

// planView is the plan as JSON: names, keys and paths, never a value.
type planView struct {
	Secrets   []secretView   `json:"secrets"`
	Workloads []workloadView `json:"workloads"`
	Warnings  []string       `json:"warnings,omitempty"`
}

type secretView struct {
	Secret      string   `json:"secret"`
	Keys        []string `json:"keys"`
	BinaryKeys  []string `json:"binary_keys,omitempty"`
	Destination string   `json:"destination"`
	Consumers   []string `json:"consumers"`
	Policies    []string `json:"policies"`
	Roles       []string `json:"roles"`
}

type workloadView struct {
	Workload       string   `json:"workload"`
	ServiceAccount string   `json:"service_account"`
	Secrets        []string `json:"secrets"`
	Policy         string   `json:"policy"`
	Role           string   `json:"role"`
}

func viewOf(plan *migrate.Plan, authMount string) planView {
	v := planView{Secrets: []secretView{}, Workloads: []workloadView{}, Warnings: plan.Warnings}
	for _, s := range plan.Secrets {
		sv := secretView{Secret: s.Namespace + "/" + s.Name, Keys: s.Keys, Destination: s.APIPath,
			Consumers: []string{}, Policies: []string{}, Roles: []string{}}
		for _, k := range s.Keys {
			if s.Binary[k] {
				sv.BinaryKeys = append(sv.BinaryKeys, k)
			}
		}
		for _, w := range s.Consumers {
			sv.Consumers = append(sv.Consumers, w.ID())
			sv.Policies = append(sv.Policies, w.PolicyName())
			sv.Roles = append(sv.Roles, "auth/"+authMount+"/role/"+w.PolicyName())
		}
		v.Secrets = append(v.Secrets, sv)
	}
	for _, w := range plan.Workloads {
		v.Workloads = append(v.Workloads, workloadView{Workload: w.Namespace + "/" + w.ID(),
			ServiceAccount: w.ServiceAccount, Secrets: w.SecretNames(), Policy: w.PolicyName(),
			Role: "auth/" + authMount + "/role/" + w.PolicyName()})
	}
	return v
}

func printPlan(p *printer, plan *migrate.Plan, format, authMount string) int {
	v := viewOf(plan, authMount)
	if format == "json" {
		p.format = "json"
		return p.encode(v)
	}
	if len(v.Secrets) == 0 {
		p.linef("No Secrets selected.")
		return exitOK
	}
	rows := [][]string{{"Secret", "Keys", "Destination", "Consumers", "Policy", "Role"}}
	for _, s := range v.Secrets {
		roles := make([]string, 0, len(s.Roles))
		for _, r := range s.Roles {
			roles = append(roles, r[strings.LastIndex(r, "/")+1:])
		}
		rows = append(rows, []string{s.Secret, strings.Join(s.Keys, ","), s.Destination,
			strings.Join(s.Consumers, ","), strings.Join(s.Policies, ","), strings.Join(roles, ",")})
	}
	p.table(rows)
	return exitOK
}

// writeArtifacts writes, per workload, <dir>/<namespace>/<kind>-<name>.
// policy.hcl, .role.json and .patch.yaml; each file is written whole or
// not at all.
func writeArtifacts(dir string, plan *migrate.Plan, o migrate.Options) error {
	for _, w := range plan.Workloads {
		base := filepath.Join(dir, w.Namespace, strings.ToLower(w.Kind)+"-"+w.Name)
		patch, err := w.Patch(o.AuthMount)
		if err != nil {
			return err
		}
		role, err := json.MarshalIndent(w.RoleData(o.RoleTTL), "", "  ")
		if err != nil {
			return err
		}
		for ext, data := range map[string][]byte{".policy.hcl": []byte(w.Policy()), ".role.json": append(role, '\n'), ".patch.yaml": patch} {
			if err := writeFileAtomic(base+ext, data); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
