package deploy

import (
	"fmt"
	"net/url"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/vaultd/vaultd/config"
)

// checkRaftConfig holds an HA set's configuration to the rules of
// integrated storage: raft on the data volume, one retry_join per replica
// naming each pod on the headless Service, and both addresses set.
func checkRaftConfig(t reporter, conf *config.Config, pod serverPod, want expect) {
	t.Helper()
	s := conf.Storage
	if s.Type != config.StorageRaft || s.Path != "/vault/data" || s.Raft == nil {
		t.Fatalf("storage = %s %q, want raft at /vault/data", s.Type, s.Path)
	}
	if len(s.Raft.RetryJoin) != want.ha {
		t.Errorf("%d retry_join blocks, want one per replica (%d)", len(s.Raft.RetryJoin), want.ha)
	}
	for i, rj := range s.Raft.RetryJoin {
		u, err := url.Parse(rj.LeaderAPIAddr)
		wantHost := fmt.Sprintf("%s-%d.%s", pod.sts.Name, i, pod.sts.Spec.ServiceName)
		if err != nil || !strings.HasPrefix(u.Host, wantHost+":") {
			t.Errorf("retry_join %d leader_api_addr = %q, want the pod %s on the headless Service", i, rj.LeaderAPIAddr, wantHost)
		}
		if want.tls != (u != nil && u.Scheme == "https") {
			t.Errorf("retry_join %d scheme of %q does not match the listener's TLS (%v)", i, rj.LeaderAPIAddr, want.tls)
		}
	}
	if conf.APIAddr == "" || conf.ClusterAddr == "" {
		t.Errorf("api_addr %q and cluster_addr %q must both be set", conf.APIAddr, conf.ClusterAddr)
	}
	if !strings.HasSuffix(conf.ClusterHostPort(), ":8201") {
		t.Errorf("cluster_addr %q is not on the cluster port 8201", conf.ClusterAddr)
	}
	if !hasEnvFrom(pod, "VAULT_RAFT_NODE_ID", "metadata.name") {
		t.Error("VAULT_RAFT_NODE_ID is not the pod's name: node IDs would be random")
	}
}

func hasEnvFrom(pod serverPod, name, fieldPath string) bool {
	for _, e := range pod.container.Env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == fieldPath {
			return true
		}
	}
	return false
}

// checkAntiAffinity requires the pods to spread over nodes: an
// anti-affinity on the hostname topology that selects the server's pods.
func checkAntiAffinity(t reporter, sts *appsv1.StatefulSet) {
	t.Helper()
	a := sts.Spec.Template.Spec.Affinity
	if a == nil || a.PodAntiAffinity == nil {
		t.Error("an HA StatefulSet without pod anti-affinity may put every replica on one node")
		return
	}
	terms := a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	for _, w := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		terms = append(terms, w.PodAffinityTerm)
	}
	for _, term := range terms {
		if term.TopologyKey == "kubernetes.io/hostname" && term.LabelSelector != nil &&
			labels.SelectorFromSet(term.LabelSelector.MatchLabels).Matches(labels.Set(sts.Spec.Template.Labels)) {
			return
		}
	}
	t.Errorf("pod anti-affinity %+v does not spread the server's pods over hostnames", a.PodAntiAffinity)
}
