package injector

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// The annotation names, as Vault's injector reads them.
const (
	prefix = "vault.hashicorp.com/"

	AnnotationInject                     = prefix + "agent-inject"
	AnnotationStatus                     = prefix + "agent-inject-status"
	AnnotationRole                       = prefix + "role"
	AnnotationSecret                     = prefix + "agent-inject-secret"   // -<name>
	AnnotationTemplate                   = prefix + "agent-inject-template" // -<name>
	AnnotationFile                       = prefix + "agent-inject-file"     // -<name>
	AnnotationPerms                      = prefix + "agent-inject-perms"    // -<name>
	AnnotationCommand                    = prefix + "agent-inject-command"  // -<name>
	AnnotationErrorOnMissingKey          = prefix + "error-on-missing-key"  // -<name>
	AnnotationLeftDelim                  = prefix + "agent-template-left-delim"
	AnnotationRightDelim                 = prefix + "agent-template-right-delim"
	AnnotationDefaultTemplate            = prefix + "agent-inject-default-template"
	AnnotationContainers                 = prefix + "agent-inject-containers"
	AnnotationPrePopulate                = prefix + "agent-pre-populate"
	AnnotationPrePopulateOnly            = prefix + "agent-pre-populate-only"
	AnnotationInitFirst                  = prefix + "agent-init-first"
	AnnotationImage                      = prefix + "agent-image"
	AnnotationRequestsCPU                = prefix + "agent-requests-cpu"
	AnnotationRequestsMem                = prefix + "agent-requests-mem"
	AnnotationLimitsCPU                  = prefix + "agent-limits-cpu"
	AnnotationLimitsMem                  = prefix + "agent-limits-mem"
	AnnotationRunAsUser                  = prefix + "agent-run-as-user"
	AnnotationRunAsGroup                 = prefix + "agent-run-as-group"
	AnnotationCacheEnable                = prefix + "agent-cache-enable"
	AnnotationAuthPath                   = prefix + "auth-path"
	AnnotationAuthType                   = prefix + "auth-type"
	AnnotationService                    = prefix + "service"
	AnnotationCACert                     = prefix + "ca-cert"
	AnnotationTLSSkipVerify              = prefix + "tls-skip-verify"
	AnnotationTLSServerName              = prefix + "tls-server-name"
	AnnotationSecretVolumePath           = prefix + "secret-volume-path"
	AnnotationStaticRenderInterval       = prefix + "template-static-secret-render-interval"
	AnnotationExitOnRetryFailure         = prefix + "template-config-exit-on-retry-failure"
	AnnotationPreserveSecretCase         = prefix + "preserve-secret-case"
	AnnotationConfigMap                  = prefix + "agent-configmap"
	AnnotationLogLevel                   = prefix + "log-level"
	AnnotationLogFormat                  = prefix + "log-format"
	AnnotationNativeSidecar              = prefix + "agent-native-sidecar"
	statusInjected                       = "injected"
	statusUpdate                         = "update"
	defaultSecretVolumePath              = "/vault/secrets"
	defaultAuthType                      = "kubernetes"
	defaultAuthPath                      = "auth/kubernetes"
	defaultTemplateType                  = "map"
	defaultRunAsUser               int64 = 100
	defaultRunAsGroup              int64 = 1000
)

// The default templates Vault's injector renders for a secret without one:
// "map" prints each key of the secret's data on a line of its own, "json"
// the data as one JSON object.
const (
	mapTemplate  = "{{ with secret \"%s\" }}{{ range $k, $v := .Data }}{{ $k }}: {{ $v }}\n{{ end }}{{ end }}"
	jsonTemplate = "{{ with secret \"%s\" }}{{ .Data | toJSON }}\n{{ end }}"
)

// Defaults are the injector-wide values a pod's annotations override: the
// injector's flags and AGENT_INJECT_* variables.
type Defaults struct {
	VaultAddress               string
	VaultImage                 string
	AuthType                   string
	AuthPath                   string
	DefaultTemplate            string
	RunAsUser                  int64
	RunAsGroup                 int64
	RequestsCPU                string
	RequestsMem                string
	LimitsCPU                  string
	LimitsMem                  string
	ExitOnRetryFailure         bool
	StaticSecretRenderInterval string
	NativeSidecar              bool
}

// secret is one file the agent renders.
type secret struct {
	name          string // file name under the volume unless file is set
	path          string // the Vault path, for the default template
	template      string
	file          string // destination, absolute, inside the volume
	perms         string
	command       string
	leftDelim     string
	rightDelim    string
	errMissingKey bool
}

// plan is everything the annotations of one pod decide.
type plan struct {
	role               string
	authType           string
	authPath           string
	address            string
	caCert             string
	tlsSkipVerify      bool
	tlsServerName      string
	image              string
	containers         map[string]bool // nil: every app container
	prePopulate        bool
	prePopulateOnly    bool
	initFirst          bool
	native             bool
	runAsUser          int64
	runAsGroup         int64
	resources          corev1.ResourceRequirements
	cacheEnable        bool
	volumePath         string
	renderInterval     string
	exitOnRetryFailure bool
	configMap          string
	logLevel           string
	logFormat          string
	secrets            []secret
}

// shouldInject reports whether a pod asks for the agent and has not had it
// yet. A status of "update" asks for injection again.
func shouldInject(ann map[string]string) (bool, error) {
	raw, ok := ann[AnnotationInject]
	if !ok {
		return false, nil
	}
	inject, err := parseBool(AnnotationInject, raw)
	if err != nil || !inject {
		return false, err
	}
	return ann[AnnotationStatus] != statusInjected, nil
}

// annotationError is a bad annotation value; its message names the
// annotation and the value.
type annotationError struct {
	name, value, why string
}

func (e *annotationError) Error() string {
	return fmt.Sprintf("invalid value %q for annotation %s: %s", e.value, e.name, e.why)
}

func parseBool(name, raw string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(raw))
	if err != nil {
		return false, &annotationError{name, raw, "want true or false"}
	}
	return b, nil
}

// annotations reads annotations with defaults.
type annotations map[string]string

func (a annotations) str(name, def string) string {
	if v, ok := a[name]; ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

func (a annotations) boolean(name string, def bool) (bool, error) {
	v, ok := a[name]
	if !ok || strings.TrimSpace(v) == "" {
		return def, nil
	}
	return parseBool(name, v)
}

func (a annotations) id(name string, def int64) (int64, error) {
	v, ok := a[name]
	if !ok || strings.TrimSpace(v) == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, &annotationError{name, v, "want a non-negative integer"}
	}
	if n == 0 {
		return 0, &annotationError{name, v, "the agent does not run as root"}
	}
	return n, nil
}

func (a annotations) quantity(name, def string) (resource.Quantity, bool, error) {
	v := a.str(name, def)
	if v == "" {
		return resource.Quantity{}, false, nil
	}
	q, err := resource.ParseQuantity(v)
	if err != nil {
		return resource.Quantity{}, false, &annotationError{name, v, "not a Kubernetes quantity (e.g. 250m, 64Mi)"}
	}
	return q, true, nil
}

// parse turns a pod's annotations into a plan, or the first bad value.
func parse(pod *corev1.Pod, d Defaults) (*plan, error) {
	a := annotations(pod.Annotations)
	p := &plan{
		role:          a.str(AnnotationRole, ""),
		authType:      a.str(AnnotationAuthType, orDefault(d.AuthType, defaultAuthType)),
		authPath:      a.str(AnnotationAuthPath, orDefault(d.AuthPath, defaultAuthPath)),
		address:       a.str(AnnotationService, d.VaultAddress),
		caCert:        a.str(AnnotationCACert, ""),
		tlsServerName: a.str(AnnotationTLSServerName, ""),
		image:         a.str(AnnotationImage, d.VaultImage),
		configMap:     a.str(AnnotationConfigMap, ""),
		logLevel:      a.str(AnnotationLogLevel, "info"),
		logFormat:     a.str(AnnotationLogFormat, "standard"),
	}
	var err error
	bools := []struct {
		dst  *bool
		name string
		def  bool
	}{
		{&p.tlsSkipVerify, AnnotationTLSSkipVerify, false},
		{&p.prePopulate, AnnotationPrePopulate, true},
		{&p.prePopulateOnly, AnnotationPrePopulateOnly, false},
		{&p.initFirst, AnnotationInitFirst, false},
		{&p.native, AnnotationNativeSidecar, d.NativeSidecar},
		{&p.cacheEnable, AnnotationCacheEnable, false},
		{&p.exitOnRetryFailure, AnnotationExitOnRetryFailure, d.ExitOnRetryFailure},
	}
	for _, b := range bools {
		if *b.dst, err = a.boolean(b.name, b.def); err != nil {
			return nil, err
		}
	}
	if p.prePopulateOnly {
		p.prePopulate, p.native = true, false
	}
	if p.runAsUser, err = a.id(AnnotationRunAsUser, orDefaultID(d.RunAsUser, defaultRunAsUser)); err != nil {
		return nil, err
	}
	if p.runAsGroup, err = a.id(AnnotationRunAsGroup, orDefaultID(d.RunAsGroup, defaultRunAsGroup)); err != nil {
		return nil, err
	}
	if p.resources, err = parseResources(a, d); err != nil {
		return nil, err
	}
	if p.renderInterval = a.str(AnnotationStaticRenderInterval, d.StaticSecretRenderInterval); p.renderInterval != "" {
		if dur, err := time.ParseDuration(p.renderInterval); err != nil || dur <= 0 {
			return nil, &annotationError{AnnotationStaticRenderInterval, p.renderInterval, "want a positive duration such as 30s or 5m"}
		}
	}
	if p.volumePath = path.Clean(a.str(AnnotationSecretVolumePath, defaultSecretVolumePath)); !path.IsAbs(p.volumePath) || p.volumePath == "/" {
		return nil, &annotationError{AnnotationSecretVolumePath, a[AnnotationSecretVolumePath], "want an absolute directory other than /"}
	}
	if names := a.str(AnnotationContainers, ""); names != "" {
		p.containers = map[string]bool{}
		for n := range strings.SplitSeq(names, ",") {
			if n = strings.TrimSpace(n); n != "" {
				p.containers[n] = true
			}
		}
	}
	if p.configMap == "" {
		if p.authType == defaultAuthType && p.role == "" {
			return nil, &annotationError{AnnotationRole, "", "a role is required for the kubernetes auth method"}
		}
		if p.address == "" {
			return nil, &annotationError{AnnotationService, "", "no Vault address: set the annotation or the injector's -vault-address"}
		}
	}
	tmplType := strings.ToLower(a.str(AnnotationDefaultTemplate, orDefault(d.DefaultTemplate, defaultTemplateType)))
	if tmplType != "map" && tmplType != "json" {
		return nil, &annotationError{AnnotationDefaultTemplate, a[AnnotationDefaultTemplate], "want map or json"}
	}
	if p.secrets, err = parseSecrets(a, p.volumePath, tmplType); err != nil {
		return nil, err
	}
	return p, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func orDefaultID(v, def int64) int64 {
	if v == 0 {
		return def
	}
	return v
}

func parseResources(a annotations, d Defaults) (corev1.ResourceRequirements, error) {
	r := corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	type one struct {
		list corev1.ResourceList
		res  corev1.ResourceName
		name string
		def  string
	}
	for _, o := range []one{
		{r.Requests, corev1.ResourceCPU, AnnotationRequestsCPU, orDefault(d.RequestsCPU, "250m")},
		{r.Requests, corev1.ResourceMemory, AnnotationRequestsMem, orDefault(d.RequestsMem, "64Mi")},
		{r.Limits, corev1.ResourceCPU, AnnotationLimitsCPU, orDefault(d.LimitsCPU, "500m")},
		{r.Limits, corev1.ResourceMemory, AnnotationLimitsMem, orDefault(d.LimitsMem, "128Mi")},
	} {
		q, ok, err := a.quantity(o.name, o.def)
		if err != nil {
			return r, err
		}
		if ok {
			o.list[o.res] = q
		}
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := r.Requests[res]
		lim, okLim := r.Limits[res]
		if okReq && okLim && req.Cmp(lim) > 0 {
			return r, fmt.Errorf("the agent's %s request %s exceeds its limit %s (annotations %s, %s)",
				res, req.String(), lim.String(), prefix+"agent-requests-"+shortRes(res), prefix+"agent-limits-"+shortRes(res))
		}
	}
	return r, nil
}

func shortRes(r corev1.ResourceName) string {
	if r == corev1.ResourceMemory {
		return "mem"
	}
	return "cpu"
}

// parseSecrets finds every agent-inject-secret-<name> and
// agent-inject-template-<name> and the per-secret annotations around them.
func parseSecrets(a annotations, volumePath, tmplType string) ([]secret, error) {
	raws := map[string]bool{}
	for k, v := range a {
		for _, base := range []string{AnnotationSecret, AnnotationTemplate} {
			if raw, ok := strings.CutPrefix(k, base+"-"); ok && raw != "" && strings.TrimSpace(v) != "" {
				raws[raw] = true
			}
		}
	}
	names := make([]string, 0, len(raws))
	for raw := range raws {
		names = append(names, raw)
	}
	sort.Strings(names) // a stable order: the same pod gives the same patch
	preserveAll, err := a.boolean(AnnotationPreserveSecretCase, false)
	if err != nil {
		return nil, err
	}
	var out []secret
	files := map[string]string{}
	for _, raw := range names {
		s := secret{
			path:       strings.TrimSpace(a[AnnotationSecret+"-"+raw]),
			template:   a[AnnotationTemplate+"-"+raw],
			perms:      strings.TrimSpace(a[AnnotationPerms+"-"+raw]),
			command:    a[AnnotationCommand+"-"+raw],
			leftDelim:  a.str(AnnotationLeftDelim+"-"+raw, "{{"),
			rightDelim: a.str(AnnotationRightDelim+"-"+raw, "}}"),
		}
		preserve, err := a.boolean(AnnotationPreserveSecretCase+"-"+raw, preserveAll)
		if err != nil {
			return nil, err
		}
		s.name = raw
		if !preserve {
			s.name = strings.ToLower(raw)
		}
		if s.errMissingKey, err = a.boolean(AnnotationErrorOnMissingKey+"-"+raw, false); err != nil {
			return nil, err
		}
		if strings.TrimSpace(s.template) == "" {
			if s.path == "" {
				return nil, &annotationError{AnnotationSecret + "-" + raw, "", "a secret needs a path or a template"}
			}
			format := mapTemplate
			if tmplType == "json" {
				format = jsonTemplate
			}
			s.template = fmt.Sprintf(format, s.path)
			s.leftDelim, s.rightDelim = "{{", "}}"
		}
		if s.perms != "" {
			if n, err := strconv.ParseUint(s.perms, 8, 32); err != nil || n > 0o7777 {
				return nil, &annotationError{AnnotationPerms + "-" + raw, s.perms, "want octal file permissions such as 0440"}
			}
		}
		file := s.name
		if f := a.str(AnnotationFile+"-"+raw, ""); f != "" {
			file = f
		}
		s.file = path.Join(volumePath, file)
		if !strings.HasPrefix(s.file, volumePath+"/") {
			return nil, &annotationError{AnnotationFile + "-" + raw, file, "the file must stay inside " + volumePath}
		}
		if other, dup := files[s.file]; dup {
			return nil, fmt.Errorf("secrets %q and %q both render to %s (see %s-<name>)", other, raw, s.file, AnnotationFile)
		}
		files[s.file] = raw
		out = append(out, s)
	}
	return out, nil
}
