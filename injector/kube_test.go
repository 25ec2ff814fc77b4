package injector

import (
	"bytes"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vaultd/vaultd/test/kube"
)

// TestSharedBundle runs the certificate sharing of -tls-auto-secret
// against a real API server: the first replica stores its bundle, the
// others (even starting at once) use that one, and a renewal keeps the
// old CA beside the new.
func TestSharedBundle(t *testing.T) {
	c := kube.Start(t.Context(), t)
	if err := c.EnsureNamespace(t.Context(), "vaultd", nil); err != nil {
		t.Fatal(err)
	}
	hosts := []string{"vaultd-injector.vaultd.svc"}
	now := time.Now()
	var wg sync.WaitGroup
	got := make([]*bundle, 4)
	errs := make([]error, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = sharedBundle(t.Context(), c.Clientset, "vaultd", "vaultd-injector-tls", hosts, now)
		}()
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		if !bytes.Equal(got[i].Cert, got[0].Cert) || !bytes.Equal(got[i].CA, got[0].CA) {
			t.Fatalf("replica %d serves another certificate", i)
		}
	}
	s, err := c.Clientset.CoreV1().Secrets("vaultd").Get(t.Context(), "vaultd-injector-tls", metav1.GetOptions{})
	if err != nil || !bytes.Equal(s.Data["tls.crt"], got[0].Cert) || s.Type != "kubernetes.io/tls" {
		t.Fatalf("stored secret: %v", err)
	}

	late := now.Add(certLifetime - renewBefore/2)
	renewedB, err := sharedBundle(t.Context(), c.Clientset, "vaultd", "vaultd-injector-tls", hosts, late)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(renewedB.Cert, got[0].Cert) {
		t.Fatal("not renewed near the end")
	}
	if !verifies(t, got[0], renewedB.CA, hosts[0], late) || !verifies(t, renewedB, renewedB.CA, hosts[0], late) {
		t.Fatal("the renewed CA bundle does not trust both certificates")
	}
	again, err := sharedBundle(t.Context(), c.Clientset, "vaultd", "vaultd-injector-tls", hosts, late)
	if err != nil || !bytes.Equal(again.Cert, renewedB.Cert) {
		t.Fatalf("a replica refreshing after the renewal did not pick it up: %v", err)
	}
}
