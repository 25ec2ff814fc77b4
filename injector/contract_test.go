package injector

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/vaultd/vaultd/agent"
)

// TestAgentReadsTheConfig: every configuration the injector writes is one
// `vaultd agent` parses and accepts, meaning what the injector meant.
func TestAgentReadsTheConfig(t *testing.T) {
	for name, extra := range map[string]map[string]string{
		"walkthrough": nil,
		"everything": {
			AnnotationPerms + "-config": "0440", AnnotationCommand + "-config": "touch /tmp/x", AnnotationErrorOnMissingKey + "-config": "true",
			AnnotationStaticRenderInterval: "30s", AnnotationCacheEnable: "true", AnnotationTLSSkipVerify: "true",
			AnnotationTLSServerName: "vaultd.internal", AnnotationCACert: "/vault/tls/ca.crt", AnnotationAuthPath: "auth/k8s",
			AnnotationExitOnRetryFailure: "false", AnnotationSecret + "-db": "secret/data/db",
		},
		"native":       {AnnotationNativeSidecar: "true"},
		"native cache": {AnnotationNativeSidecar: "true", AnnotationCacheEnable: "true"},
	} {
		t.Run(name, func(t *testing.T) {
			pod, _ := apply(t, walkthroughPod(extra), testDefaults)
			var cs []corev1.Container
			cs = append(cs, pod.Spec.InitContainers...)
			cs = append(cs, pod.Spec.Containers[1:]...)
			for _, c := range cs {
				cfg, err := agent.ParseEnv(envValue(&c, "VAULT_CONFIG"))
				if err != nil {
					t.Fatalf("%s: the agent cannot parse it: %v", c.Name, err)
				}
				if err := cfg.Validate("VAULT_CONFIG"); err != nil {
					t.Fatalf("%s: the agent refuses it: %v", c.Name, err)
				}
				m := cfg.AutoAuth.Method
				if m.Type != "kubernetes" || m.Role != "my-api-role" || m.TokenPath != "/var/run/secrets/kubernetes.io/serviceaccount/token" {
					t.Errorf("%s: method %+v", c.Name, m)
				}
				if cfg.ExitAfterAuth != (c.Name == InitContainerName) {
					t.Errorf("%s: exit_after_auth %v", c.Name, cfg.ExitAfterAuth)
				}
				if len(cfg.AutoAuth.Sinks) != 1 || cfg.AutoAuth.Sinks[0].Path != tokenFile || cfg.PidFile != pidFile {
					t.Errorf("%s: sinks %+v pid %q", c.Name, cfg.AutoAuth.Sinks, cfg.PidFile)
				}
				if cfg.Vault.Address != testDefaults.VaultAddress {
					t.Errorf("%s: address %q", c.Name, cfg.Vault.Address)
				}
				switch name {
				case "everything":
					tm := cfg.Templates[0]
					if tm.Destination != "/vault/secrets/config" || tm.Perms != 0o440 || !tm.ErrorOnMissingKey || len(tm.Command) == 0 ||
						cfg.TemplateConfig.StaticSecretRenderInterval != 30*time.Second || !cfg.Vault.TLSSkipVerify ||
						cfg.Vault.TLSServerName != "vaultd.internal" || cfg.Vault.CACert != "/vault/tls/ca.crt" || m.MountPath != "auth/k8s" {
						t.Errorf("%s: %+v / %+v", c.Name, cfg, tm)
					}
					if len(cfg.Templates) != 2 {
						t.Errorf("%s: %d templates", c.Name, len(cfg.Templates))
					}
					if (c.Name == SidecarContainerName) != (cfg.APIProxy != nil && len(cfg.Listeners) == 1) {
						t.Errorf("%s: cache %+v listeners %d", c.Name, cfg.APIProxy, len(cfg.Listeners))
					}
				case "native":
					if len(cfg.Listeners) != 1 || cfg.APIProxy != nil {
						t.Errorf("%s: listeners %+v proxy %+v", c.Name, cfg.Listeners, cfg.APIProxy)
					}
				case "native cache":
					// The token-adding proxy only on loopback; the
					// readiness listener on the pod's network proxies nothing.
					if cfg.APIProxy != nil || len(cfg.Listeners) != 2 {
						t.Fatalf("%s: top-level proxy %+v, %d listeners", c.Name, cfg.APIProxy, len(cfg.Listeners))
					}
					for _, l := range cfg.Listeners {
						if loopback := l.Address == "127.0.0.1:8200"; loopback != (l.APIProxy != nil) {
							t.Errorf("%s: listener %s api_proxy %+v", c.Name, l.Address, l.APIProxy)
						}
					}
				}
			}
		})
	}
}
