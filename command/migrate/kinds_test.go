package migrate_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/vaultd/vaultd/command/migrate"
)

// TestMigrateEveryWorkloadKind: a label selector takes the labelled
// Secrets only; StatefulSets, DaemonSets, Jobs and
// CronJobs are found as consumers like Deployments (init containers and
// projected names included), a CronJob's patch goes to its job template,
// a Job a CronJob owns is not patched on its own, and every patch is
// accepted by `kubectl apply --dry-run=server` - but a Job's, whose pod
// template the API server keeps immutable.
func TestMigrateEveryWorkloadKind(t *testing.T) {
	c := cluster.Get(t)
	kc := kubeClient(t, c)
	ctx := context.Background()
	ns := "kinds"
	must(t, c.EnsureNamespace(ctx, ns, nil), "namespace")
	createSecret(t, kc, ns, "shared", map[string][]byte{"USER": []byte("u"), "PASS": []byte("p")})
	createSecret(t, kc, ns, "other", map[string][]byte{"k": []byte("v")})
	labels := map[string]string{"app": "x"}
	tmpl := func(sa string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{
				ServiceAccountName: sa,
				RestartPolicy:      corev1.RestartPolicyOnFailure,
				InitContainers: []corev1.Container{{Name: "init", Image: "i:1",
					Env: []corev1.EnvVar{secretKeyRef("PASS", "shared", "PASS")}}},
				Containers: []corev1.Container{{Name: "main", Image: "m:1",
					EnvFrom: []corev1.EnvFromSource{{Prefix: "APP_", SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "shared"}}}}}},
			},
		}
	}
	always := tmpl("sts")
	always.Spec.RestartPolicy = corev1.RestartPolicyAlways
	_, err := kc.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: appsv1.StatefulSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: always}}, metav1.CreateOptions{})
	must(t, err, "statefulset")
	ds := tmpl("")
	ds.Spec.RestartPolicy = corev1.RestartPolicyAlways
	_, err = kc.AppsV1().DaemonSets(ns).Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent"},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: ds}}, metav1.CreateOptions{})
	must(t, err, "daemonset")
	_, err = kc.BatchV1().Jobs(ns).Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "once"},
		Spec: batchv1.JobSpec{Template: tmpl("jobs")}}, metav1.CreateOptions{})
	must(t, err, "job")
	cron, err := kc.BatchV1().CronJobs(ns).Create(ctx, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "nightly"},
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl("jobs")}}}}, metav1.CreateOptions{})
	must(t, err, "cronjob")
	// The run a CronJob made: patched through its CronJob, not itself.
	ctrl := true
	_, err = kc.BatchV1().Jobs(ns).Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "nightly-123",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: "nightly", UID: cron.UID, Controller: &ctrl}}},
		Spec: batchv1.JobSpec{Template: tmpl("jobs")}}, metav1.CreateOptions{})
	must(t, err, "owned job")

	// A label selector takes the labelled Secrets only.
	_, err = kc.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "unlabelled"},
		Data: map[string][]byte{"z": []byte("1")}}, metav1.CreateOptions{})
	must(t, err, "unlabelled secret")
	byLabel, err := migrate.Build(ctx, kc, migrate.Options{Namespaces: []string{ns}, Selector: "migrate=yes"})
	must(t, err, "build by selector")
	var names []string
	for _, s := range byLabel.Secrets {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "other,shared" {
		t.Fatalf("-selector took %v", names)
	}

	plan, err := migrate.Build(ctx, kc, migrate.Options{Namespaces: []string{ns}, Names: []string{"shared"}})
	must(t, err, "build")
	var ids []string
	for _, w := range plan.Workloads {
		ids = append(ids, w.ID())
	}
	sort.Strings(ids)
	if want := "CronJob/nightly DaemonSet/agent Job/once StatefulSet/db"; strings.Join(ids, " ") != want {
		t.Fatalf("workloads %v, want %s", ids, want)
	}
	if len(plan.Secrets) != 1 || len(plan.Secrets[0].Consumers) != 4 {
		t.Fatalf("plan secrets %+v", plan.Secrets)
	}
	dir := t.TempDir()
	for _, w := range plan.Workloads {
		if w.Kind == "DaemonSet" && w.ServiceAccount != "default" {
			t.Errorf("DaemonSet without a service account bound to %q", w.ServiceAccount)
		}
		ann := w.Annotations("")
		env := ann[migrate.AnnTemplatePrefix+"main-env"]
		if !strings.Contains(env, "export APP_USER=") || !strings.Contains(env, "export APP_PASS=") {
			t.Errorf("%s: main env template:\n%s", w.ID(), env)
		}
		if !strings.Contains(ann[migrate.AnnTemplatePrefix+"init-env"], "export PASS=") {
			t.Errorf("%s: init env template: %v", w.ID(), ann)
		}
		patch, err := w.Patch("")
		must(t, err, "patch")
		var obj map[string]any
		must(t, yaml.Unmarshal(patch, &obj), "patch yaml")
		if w.Kind == "CronJob" && !strings.Contains(string(patch), "jobTemplate:") {
			t.Errorf("CronJob patch:\n%s", patch)
		}
		f := filepath.Join(dir, w.Kind+".yaml")
		must(t, os.WriteFile(f, patch, 0o600), "write")
		out, err := c.Kubectl(ctx, "apply", "--dry-run=server", "--validate=strict", "-f", f)
		if w.Kind == "Job" {
			// A Job's pod template cannot change once created (docs/migrate.md):
			// the API server says so, and the patch is for its manifest.
			if err == nil || !strings.Contains(string(out), "field is immutable") {
				t.Errorf("Job patch: %v\n%s", err, out)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: kubectl apply --dry-run=server: %v\n%s\n%s", w.ID(), err, out, patch)
		}
	}
}
