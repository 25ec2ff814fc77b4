package migrate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/hashicorp/vault/api"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Outcomes of one step.
const (
	Written   = "written"
	Unchanged = "unchanged"
	Deleted   = "deleted"
)

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Overwrite lets a KV entry that holds something else be replaced
	// (check-and-set on the version read); without it such an entry stops
	// the run before anything is written.
	Overwrite bool
	// DeleteSecrets deletes each Secret once its KV entry reads back equal.
	DeleteSecrets bool
	// AuthMount and RoleTTL are as in Options.
	AuthMount, RoleTTL string
	// Progress, when set, is told of each step as it ends.
	Progress func(Step)
}

// Step is one finished step of a run.
type Step struct {
	N, Total int
	What     string // "secret", "policy", "role", "delete"
	Target   string // a KV path, policy name, role path or Secret
	Outcome  string
}

// Result counts what a run did.
type Result struct {
	Steps []Step
}

// Count is the number of steps with the outcome.
func (r *Result) Count(outcome string) int {
	n := 0
	for _, s := range r.Steps {
		if s.Outcome == outcome {
			n++
		}
	}
	return n
}

// ConflictError lists KV entries that hold other data.
type ConflictError struct{ Paths []string }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%d destination(s) already hold different data, nothing was written (use -overwrite to replace them): %s",
		len(e.Paths), strings.Join(e.Paths, ", "))
}

type current struct {
	exists  bool // the metadata entry exists
	version int  // its current version, 0 when it has none yet
	data    map[string]string
	custom  map[string]string
}

// hasData: the entry has a version (its latest may be deleted).
func (c current) hasData() bool { return c.exists && c.version > 0 }

// Apply carries the plan out: every KV entry, then every policy and role,
// then (if asked) the Secret deletions. Each step reads first and writes
// only what differs. KV entries are written with check-and-set: version 0
// (must not exist) or the version read, so a concurrent writer is never
// overwritten unseen.
func Apply(ctx context.Context, vc *api.Client, kc kubernetes.Interface, p *Plan, o ApplyOptions) (*Result, error) {
	if o.AuthMount == "" {
		o.AuthMount = "kubernetes"
	}
	if o.RoleTTL == "" {
		o.RoleTTL = "1h"
	}
	// Read every destination before writing any, so that a conflict
	// stops the run with nothing written.
	now := make([]current, len(p.Secrets))
	var conflicts []string
	for i, s := range p.Secrets {
		c, err := readKV(ctx, vc, s)
		if err != nil {
			return nil, err
		}
		now[i] = c
		if c.hasData() && !maps.Equal(c.data, s.Data) && !o.Overwrite {
			conflicts = append(conflicts, s.APIPath)
		}
	}
	if len(conflicts) > 0 {
		return nil, &ConflictError{Paths: conflicts}
	}
	total := len(p.Secrets) + 2*len(p.Workloads)
	if o.DeleteSecrets {
		total += len(p.Secrets)
	}
	res := &Result{}
	step := func(what, target, outcome string) {
		st := Step{N: len(res.Steps) + 1, Total: total, What: what, Target: target, Outcome: outcome}
		res.Steps = append(res.Steps, st)
		if o.Progress != nil {
			o.Progress(st)
		}
	}
	for i, s := range p.Secrets {
		outcome, err := writeKV(ctx, vc, s, now[i])
		if err != nil {
			return res, err
		}
		step("secret", s.APIPath, outcome)
	}
	for _, w := range p.Workloads {
		outcome, err := writePolicy(ctx, vc, w)
		if err != nil {
			return res, err
		}
		step("policy", w.PolicyName(), outcome)
		rolePath := "auth/" + strings.Trim(o.AuthMount, "/") + "/role/" + w.PolicyName()
		outcome, err = writeRole(ctx, vc, rolePath, w.RoleData(o.RoleTTL))
		if err != nil {
			return res, err
		}
		step("role", rolePath, outcome)
	}
	if o.DeleteSecrets {
		for _, s := range p.Secrets {
			if err := deleteSecret(ctx, vc, kc, s); err != nil {
				return res, err
			}
			step("delete", s.Namespace+"/"+s.Name, Deleted)
		}
	}
	return res, nil
}

func readKV(ctx context.Context, vc *api.Client, s *SecretPlan) (current, error) {
	var c current
	meta, err := vc.Logical().ReadWithContext(ctx, s.Mount+"/metadata/"+s.Path)
	if err != nil {
		return c, fmt.Errorf("reading %s/metadata/%s: %w", s.Mount, s.Path, err)
	}
	if meta == nil || meta.Data == nil {
		return c, nil
	}
	c.exists = true
	c.version = intOf(meta.Data["current_version"])
	c.custom = stringMap(meta.Data["custom_metadata"])
	sec, err := vc.Logical().ReadWithContext(ctx, s.APIPath)
	if err != nil {
		return c, fmt.Errorf("reading %s: %w", s.APIPath, err)
	}
	if sec != nil && sec.Data != nil {
		if d, ok := sec.Data["data"].(map[string]any); ok {
			c.data = map[string]string{}
			for k, v := range d {
				str, isStr := v.(string)
				if !isStr {
					str = fmt.Sprint(v) + "\x00" // never equal to a Secret's text
				}
				c.data[k] = str
			}
		}
	}
	return c, nil
}

// writeKV converges one entry: the custom metadata first, then the data
// with check-and-set. The data write is the commit point: an entry
// interrupted before it has metadata and no version, which reads as no
// secret at all, and a resumed run writes it with cas=0.
func writeKV(ctx context.Context, vc *api.Client, s *SecretPlan, c current) (string, error) {
	outcome := Unchanged
	if want := s.CustomMetadata(); !maps.Equal(c.custom, want) {
		custom := make(map[string]any, len(want))
		for k, v := range want {
			custom[k] = v
		}
		if _, err := vc.Logical().WriteWithContext(ctx, s.Mount+"/metadata/"+s.Path, map[string]any{"custom_metadata": custom}); err != nil {
			return "", fmt.Errorf("writing the custom metadata of %s: %w", s.APIPath, err)
		}
		outcome = Written
	}
	if !c.hasData() || !maps.Equal(c.data, s.Data) {
		data := make(map[string]any, len(s.Data))
		for k, v := range s.Data {
			data[k] = v
		}
		_, err := vc.Logical().WriteWithContext(ctx, s.APIPath, map[string]any{
			"data": data, "options": map[string]any{"cas": c.version},
		})
		if err != nil {
			return "", fmt.Errorf("writing %s: %w", s.APIPath, err)
		}
		outcome = Written
	}
	return outcome, nil
}

func writePolicy(ctx context.Context, vc *api.Client, w *Workload) (string, error) {
	want := w.Policy()
	have, err := vc.Sys().GetPolicyWithContext(ctx, w.PolicyName())
	if err != nil {
		return "", fmt.Errorf("reading policy %s: %w", w.PolicyName(), err)
	}
	if have == want {
		return Unchanged, nil
	}
	if err := vc.Sys().PutPolicyWithContext(ctx, w.PolicyName(), want); err != nil {
		return "", fmt.Errorf("writing policy %s: %w", w.PolicyName(), err)
	}
	return Written, nil
}

func writeRole(ctx context.Context, vc *api.Client, rolePath string, want map[string]any) (string, error) {
	have, err := vc.Logical().ReadWithContext(ctx, rolePath)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", rolePath, err)
	}
	if have != nil && roleMatches(have.Data, want) {
		return Unchanged, nil
	}
	if _, err := vc.Logical().WriteWithContext(ctx, rolePath, want); err != nil {
		return "", fmt.Errorf("writing %s: %w", rolePath, err)
	}
	return Written, nil
}

// roleMatches compares the fields the plan sets.
func roleMatches(have, want map[string]any) bool {
	for _, k := range []string{"bound_service_account_names", "bound_service_account_namespaces", "token_policies"} {
		if !slices.Equal(strings1(have[k]), want[k].([]string)) {
			return false
		}
	}
	return fmt.Sprint(have["token_ttl"]) == fmt.Sprint(ttlSeconds(want["token_ttl"].(string)))
}

// deleteSecret reads the KV entry back, compares it with the Secret's
// data, and only then deletes the Secret - with preconditions on its UID
// and resource version, so a Secret changed since it was read stays.
func deleteSecret(ctx context.Context, vc *api.Client, kc kubernetes.Interface, s *SecretPlan) error {
	c, err := readKV(ctx, vc, s)
	if err != nil {
		return err
	}
	if !c.hasData() || !maps.Equal(c.data, s.Data) {
		return fmt.Errorf("%s does not read back as Secret %s/%s held; the Secret was not deleted", s.APIPath, s.Namespace, s.Name)
	}
	uid := s.UIDRef()
	err = kc.CoreV1().Secrets(s.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &s.ResourceVersion},
	})
	var se interface{ Status() metav1.Status }
	if errors.As(err, &se) && se.Status().Code == http.StatusNotFound {
		return nil // deleted by an earlier, interrupted run
	}
	if err != nil {
		return fmt.Errorf("deleting Secret %s/%s: %w", s.Namespace, s.Name, err)
	}
	return nil
}
