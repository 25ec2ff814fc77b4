package injector

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Names of what the injector adds to a pod, as Vault's injector names them.
const (
	InitContainerName    = "vault-agent-init"
	SidecarContainerName = "vault-agent"
	secretVolumeName     = "vault-secrets"
	homeInitVolume       = "home-init"
	homeSidecarVolume    = "home-sidecar"
	configMapVolume      = "vault-config"
	configMapPath        = "/vault/configs"
	// tokenVolumeName is the projected service-account token the injector
	// adds when the pod mounts none (automountServiceAccountToken: false).
	tokenVolumeName = "vault-agent-token"
	tokenMountPath  = "/var/run/secrets/vault.hashicorp.com/serviceaccount"
	// AgentCommand is the vaultd binary in the image (see the Dockerfile).
	AgentCommand = "/usr/local/bin/vaultd"
)

// tokenMount is where the agent finds the pod's service-account token.
type tokenMount struct {
	volume, mountPath, file string
	add                     bool // the injector adds the volume itself
}

func (t tokenMount) path() string { return path.Join(t.mountPath, t.file) }

// findTokenMount finds the service-account token the API server's
// ServiceAccount admission mounted into the app containers; without one
// the injector projects a token of its own.
func findTokenMount(pod *corev1.Pod) tokenMount {
	for _, c := range pod.Spec.Containers {
		for _, m := range c.VolumeMounts {
			if strings.Contains(m.MountPath, "serviceaccount") && m.Name != tokenVolumeName {
				return tokenMount{volume: m.Name, mountPath: m.MountPath, file: "token"}
			}
		}
	}
	return tokenMount{volume: tokenVolumeName, mountPath: tokenMountPath, file: "token", add: true}
}

// patchOp is one RFC 6902 operation.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// Mutate returns the JSONPatch that injects the agent into pod, nil when
// the pod is to be left alone, or an error naming the annotation that
// stops it. The patch is computed whole before it is returned: a refused
// pod gets no partial patch.
func Mutate(pod *corev1.Pod, d Defaults) ([]byte, error) {
	inject, err := shouldInject(pod.Annotations)
	if err != nil || !inject {
		return nil, err
	}
	p, err := parse(pod, d)
	if err != nil {
		return nil, err
	}
	spec := withoutInjection(pod.Spec)
	tok := findTokenMount(&corev1.Pod{Spec: spec})

	secretMount := corev1.VolumeMount{Name: secretVolumeName, MountPath: p.volumePath}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		if p.containers != nil && !p.containers[c.Name] {
			continue
		}
		if err := addMount(c, secretMount); err != nil {
			return nil, err
		}
	}

	volumes := []corev1.Volume{memoryVolume(secretVolumeName)}
	var agentInit []corev1.Container
	if p.native {
		c, err := p.container(modeNative, tok)
		if err != nil {
			return nil, err
		}
		agentInit = append(agentInit, c)
		volumes = append(volumes, memoryVolume(homeSidecarVolume))
	} else {
		if p.prePopulate {
			c, err := p.container(modeInit, tok)
			if err != nil {
				return nil, err
			}
			agentInit = append(agentInit, c)
			volumes = append(volumes, memoryVolume(homeInitVolume))
		}
		if !p.prePopulateOnly {
			c, err := p.container(modeSidecar, tok)
			if err != nil {
				return nil, err
			}
			spec.Containers = append(spec.Containers, c)
			volumes = append(volumes, memoryVolume(homeSidecarVolume))
		}
	}
	if len(agentInit) > 0 {
		// The app's own init containers see the secrets too.
		for i := range spec.InitContainers {
			if err := addMount(&spec.InitContainers[i], secretMount); err != nil {
				return nil, err
			}
		}
		if p.initFirst || p.native {
			spec.InitContainers = append(agentInit, spec.InitContainers...)
		} else {
			spec.InitContainers = append(spec.InitContainers, agentInit...)
		}
	}
	if p.configMap != "" {
		volumes = append(volumes, corev1.Volume{Name: configMapVolume, VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: p.configMap}},
		}})
	}
	if tok.add {
		expiry := int64(3600)
		volumes = append(volumes, corev1.Volume{Name: tokenVolumeName, VolumeSource: corev1.VolumeSource{
			Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{
				ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: &expiry},
			}}},
		}})
	}
	for _, v := range volumes {
		for _, have := range spec.Volumes {
			if have.Name == v.Name {
				return nil, fmt.Errorf("the pod already has a volume named %q, which the injector adds", v.Name)
			}
		}
	}
	spec.Volumes = append(spec.Volumes, volumes...)

	ops := []patchOp{
		{Op: "add", Path: "/spec/volumes", Value: spec.Volumes},
		{Op: "add", Path: "/spec/containers", Value: spec.Containers},
	}
	if len(spec.InitContainers) > 0 {
		ops = append(ops, patchOp{Op: "add", Path: "/spec/initContainers", Value: spec.InitContainers})
	}
	ops = append(ops, patchOp{Op: "add", Path: "/metadata/annotations/" + escapePointer(AnnotationStatus), Value: statusInjected})
	b, err := json.Marshal(ops)
	if err != nil {
		return nil, fmt.Errorf("injector: patch: %w", err)
	}
	return b, nil
}

// escapePointer escapes a JSON Pointer reference token (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func memoryVolume(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}}
}

// addMount mounts m into c, refusing a container that already mounts
// something else at the same path.
func addMount(c *corev1.Container, m corev1.VolumeMount) error {
	for _, have := range c.VolumeMounts {
		if path.Clean(have.MountPath) == m.MountPath {
			return fmt.Errorf("container %q already mounts volume %q at %s, where the injector mounts the secrets (see %s)",
				c.Name, have.Name, m.MountPath, AnnotationSecretVolumePath)
		}
	}
	c.VolumeMounts = append(c.VolumeMounts, m)
	return nil
}

// withoutInjection is a copy of spec without anything an earlier injection
// added, so that agent-inject-status: update injects afresh.
func withoutInjection(spec corev1.PodSpec) corev1.PodSpec {
	ours := func(name string) bool {
		switch name {
		case secretVolumeName, homeInitVolume, homeSidecarVolume, configMapVolume, tokenVolumeName:
			return true
		}
		return false
	}
	strip := func(cs []corev1.Container, agent ...string) []corev1.Container {
		var out []corev1.Container
		for _, c := range cs {
			if c.Name == agent[0] || (len(agent) > 1 && c.Name == agent[1]) {
				continue
			}
			c = *c.DeepCopy()
			var mounts []corev1.VolumeMount
			for _, m := range c.VolumeMounts {
				if !ours(m.Name) {
					mounts = append(mounts, m)
				}
			}
			c.VolumeMounts = mounts
			out = append(out, c)
		}
		return out
	}
	out := *spec.DeepCopy()
	out.Containers = strip(spec.Containers, SidecarContainerName)
	out.InitContainers = strip(spec.InitContainers, InitContainerName, SidecarContainerName)
	out.Volumes = nil
	for _, v := range spec.Volumes {
		if !ours(v.Name) {
			out.Volumes = append(out.Volumes, v)
		}
	}
	return out
}

// container is one agent container.
func (p *plan) container(mode agentMode, tok tokenMount) (corev1.Container, error) {
	home := homeSidecarVolume
	name := SidecarContainerName
	if mode == modeInit {
		home, name = homeInitVolume, InitContainerName
	}
	c := corev1.Container{
		Name:      name,
		Image:     p.image,
		Command:   []string{AgentCommand},
		Args:      []string{"agent"},
		Resources: *p.resources.DeepCopy(),
		Env: []corev1.EnvVar{
			fieldEnv("NAMESPACE", "metadata.namespace"),
			fieldEnv("HOST_IP", "status.hostIP"),
			fieldEnv("POD_IP", "status.podIP"),
			{Name: "VAULT_LOG_LEVEL", Value: p.logLevel},
			{Name: "VAULT_LOG_FORMAT", Value: p.logFormat},
		},
		VolumeMounts: []corev1.VolumeMount{
			{Name: tok.volume, MountPath: tok.mountPath, ReadOnly: true},
			{Name: home, MountPath: homeDir},
			{Name: secretVolumeName, MountPath: p.volumePath},
		},
		SecurityContext: &corev1.SecurityContext{
			RunAsUser:                &p.runAsUser,
			RunAsGroup:               &p.runAsGroup,
			RunAsNonRoot:             ptr(true),
			ReadOnlyRootFilesystem:   ptr(true),
			AllowPrivilegeEscalation: ptr(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	if p.configMap != "" {
		c.Args = append(c.Args, "-config="+configMapFile(mode))
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: configMapVolume, MountPath: configMapPath, ReadOnly: true})
	} else {
		enc, err := p.config(mode, tok.path()).encode()
		if err != nil {
			return c, err
		}
		c.Env = append(c.Env, corev1.EnvVar{Name: "VAULT_CONFIG", Value: enc})
	}
	if mode == modeNative {
		c.RestartPolicy = ptr(corev1.ContainerRestartPolicyAlways)
		c.Ports = []corev1.ContainerPort{{Name: "agent-ready", ContainerPort: ReadyPort, Protocol: corev1.ProtocolTCP}}
		c.StartupProbe = &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: ReadyPath, Port: intstr.FromInt32(ReadyPort), Scheme: corev1.URISchemeHTTP,
			}},
			PeriodSeconds:    1,
			TimeoutSeconds:   1,
			FailureThreshold: 300,
		}
	}
	return c, nil
}

func fieldEnv(name, field string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: field}}}
}

func ptr[T any](v T) *T { return &v }
