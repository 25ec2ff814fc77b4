package injector

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vaultd/vaultd/test/certs"
	"github.com/vaultd/vaultd/test/proc"
)

// TestInjectorTLSFiles: with -tls-cert-file and -tls-key-file (a
// certificate from the operator's own CA, which the operator puts in the
// caBundle) the injector needs no API access at all, and pods are
// injected.
func TestInjectorTLSFiles(t *testing.T) {
	c := cluster.Get(t)
	dir := t.TempDir()
	tlsFiles := certs.Write(t, dir) // from the operator's own CA
	caPEM, certFile, keyFile := tlsFiles.CAPEM, tlsFiles.CertFile, tlsFiles.KeyFile
	addr := proc.FreeAddr(t)
	url := "https://" + addr + "/mutate"
	registerWebhook(t, c, url)
	api := c.Clientset.AdmissionregistrationV1().MutatingWebhookConfigurations()
	cfg, err := api.Get(t.Context(), webhookName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Webhooks[0].ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caPEM}
	if _, err := api.Update(t.Context(), cfg, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := proc.Start(t, vaultd.Path(t), proc.Options{}, "injector", "-listen="+addr,
		"-tls-cert-file="+certFile, "-tls-key-file="+keyFile, "-vault-address=http://127.0.0.1:8200")
	r := &running{c: c, proc: p, url: "https://" + addr, ca: tlsFiles.Pool()}
	waitReady(t, r)
	waitEffective(t, r)
	got, err := createPod(t, c, "default", walkthroughPod(t, "tls-files-", nil))
	if err != nil {
		t.Fatal(err)
	}
	checkInjected(t, got)
}
