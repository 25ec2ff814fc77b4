package injector

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// DefaultAgentImage is the agent image when neither -vault-image nor the
// agent-image annotation names one; the manifests and the chart set it to
// the image the injector itself runs.
const DefaultAgentImage = "vaultd/vaultd:latest"

const usage = `Usage: vaultd injector [options]

  Run the Kubernetes mutating admission webhook that adds the agent
  (vaultd agent) to pods annotated vault.hashicorp.com/agent-inject: "true".
  It serves POST /mutate and GET /health/ready over HTTPS, with the
  certificate from -tls-cert-file and -tls-key-file, or one it makes itself
  with -tls-auto (writing its CA into that MutatingWebhookConfiguration).

  Every option can also be set by its AGENT_INJECT_* environment variable,
  which takes precedence over the flag, as with Vault's injector.

Options:
`

// options are the injector's flags.
type options struct {
	listen, logLevel, logFormat                  string
	tlsAuto, tlsAutoHosts, tlsAutoSecret         string
	tlsCertFile, tlsKeyFile, tlsMinVersion       string
	namespace                                    string
	vaultAddress, vaultImage, authType, authPath string
	runAsUser, runAsGroup                        string
	defaultTemplate                              string
	cpuRequest, memRequest, cpuLimit, memLimit   string
	exitOnRetryFailure                           bool
	staticRenderInterval                         string
	nativeSidecar                                bool
}

// envNames maps each flag to its AGENT_INJECT_* variable.
func envNames() map[string]string {
	return map[string]string{
		"listen":                                 "AGENT_INJECT_LISTEN",
		"log-level":                              "AGENT_INJECT_LOG_LEVEL",
		"log-format":                             "AGENT_INJECT_LOG_FORMAT",
		"tls-auto":                               "AGENT_INJECT_TLS_AUTO",
		"tls-auto-hosts":                         "AGENT_INJECT_TLS_AUTO_HOSTS",
		"tls-auto-secret":                        "AGENT_INJECT_TLS_AUTO_SECRET",
		"tls-cert-file":                          "AGENT_INJECT_TLS_CERT_FILE",
		"tls-key-file":                           "AGENT_INJECT_TLS_KEY_FILE",
		"tls-min-version":                        "AGENT_INJECT_TLS_MIN_VERSION",
		"namespace":                              "AGENT_INJECT_NAMESPACE",
		"vault-address":                          "AGENT_INJECT_VAULT_ADDR",
		"vault-image":                            "AGENT_INJECT_VAULT_IMAGE",
		"vault-auth-type":                        "AGENT_INJECT_VAULT_AUTH_TYPE",
		"vault-auth-path":                        "AGENT_INJECT_VAULT_AUTH_PATH",
		"run-as-user":                            "AGENT_INJECT_RUN_AS_USER",
		"run-as-group":                           "AGENT_INJECT_RUN_AS_GROUP",
		"default-template":                       "AGENT_INJECT_DEFAULT_TEMPLATE",
		"cpu-request":                            "AGENT_INJECT_CPU_REQUEST",
		"memory-request":                         "AGENT_INJECT_MEM_REQUEST",
		"cpu-limit":                              "AGENT_INJECT_CPU_LIMIT",
		"memory-limit":                           "AGENT_INJECT_MEM_LIMIT",
		"template-config-exit-on-retry-failure":  "AGENT_INJECT_TEMPLATE_CONFIG_EXIT_ON_RETRY_FAILURE",
		"template-static-secret-render-interval": "AGENT_INJECT_TEMPLATE_STATIC_SECRET_RENDER_INTERVAL",
		"native-sidecar":                         "AGENT_INJECT_NATIVE_SIDECAR",
	}
}

func flagSet(o *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("injector", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	s := fs.StringVar
	s(&o.listen, "listen", ":8080", "Address the webhook listens on.")
	s(&o.logLevel, "log-level", "info", "Log level: trace, debug, info, warn or error.")
	s(&o.logFormat, "log-format", "standard", "Log format: standard or json.")
	s(&o.tlsAuto, "tls-auto", "", "Name of the MutatingWebhookConfiguration whose caBundle the injector writes; with it the injector makes its own CA and certificate.")
	s(&o.tlsAutoHosts, "tls-auto-hosts", "", "Comma-separated DNS names (or IPs) of the generated certificate: the injector Service's names.")
	s(&o.tlsAutoSecret, "tls-auto-secret", "", "Secret (in -namespace) where replicas share the generated CA and certificate; empty makes one per replica.")
	s(&o.tlsCertFile, "tls-cert-file", "", "PEM certificate to serve, re-read when it changes.")
	s(&o.tlsKeyFile, "tls-key-file", "", "PEM private key of -tls-cert-file.")
	s(&o.tlsMinVersion, "tls-min-version", "tls12", "Minimum TLS version: tls12 or tls13.")
	s(&o.namespace, "namespace", os.Getenv("NAMESPACE"), "Namespace of -tls-auto-secret (default: $NAMESPACE).")
	s(&o.vaultAddress, "vault-address", "", "Address of the vaultd server the agents talk to.")
	s(&o.vaultImage, "vault-image", DefaultAgentImage, "Image of the agent containers.")
	s(&o.authType, "vault-auth-type", defaultAuthType, "Auth method type of the agents.")
	s(&o.authPath, "vault-auth-path", defaultAuthPath, "Mount path of the agents' auth method.")
	s(&o.runAsUser, "run-as-user", strconv.FormatInt(defaultRunAsUser, 10), "User ID the agent containers run as.")
	s(&o.runAsGroup, "run-as-group", strconv.FormatInt(defaultRunAsGroup, 10), "Group ID the agent containers run as.")
	s(&o.defaultTemplate, "default-template", defaultTemplateType, "Template of a secret without one: map or json.")
	s(&o.cpuRequest, "cpu-request", "250m", "CPU request of the agent containers.")
	s(&o.memRequest, "memory-request", "64Mi", "Memory request of the agent containers.")
	s(&o.cpuLimit, "cpu-limit", "500m", "CPU limit of the agent containers.")
	s(&o.memLimit, "memory-limit", "128Mi", "Memory limit of the agent containers.")
	fs.BoolVar(&o.exitOnRetryFailure, "template-config-exit-on-retry-failure", true, "The agents' template_config exit_on_retry_failure.")
	s(&o.staticRenderInterval, "template-static-secret-render-interval", "", "The agents' template_config static_secret_render_interval.")
	fs.BoolVar(&o.nativeSidecar, "native-sidecar", false, "Inject the agent as a Kubernetes native sidecar by default (agent-native-sidecar annotation).")
	return fs
}

// parseOptions reads flags, then lets AGENT_INJECT_* variables override them.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flagSet(o, stderr)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	// Vault's manifests pass a literal "2>&1" after the subcommand (no
	// shell reads it); accept that one, refuse anything else.
	if rest := fs.Args(); len(rest) > 0 && !(len(rest) == 1 && rest[0] == "2>&1") {
		return nil, fmt.Errorf("unexpected arguments: %v", rest)
	}
	for name, env := range envNames() {
		if v := getenv(env); v != "" {
			if err := fs.Set(name, v); err != nil {
				return nil, fmt.Errorf("%s=%q: %w", env, v, err)
			}
		}
	}
	return o, o.validate()
}

func (o *options) validate() error {
	if o.tlsAuto == "" && (o.tlsCertFile == "" || o.tlsKeyFile == "") {
		return errors.New("TLS is required: give -tls-cert-file and -tls-key-file, or -tls-auto with -tls-auto-hosts")
	}
	if o.tlsAuto != "" && strings.TrimSpace(o.tlsAutoHosts) == "" {
		return errNoHosts
	}
	if o.tlsAutoSecret != "" && o.namespace == "" {
		return errors.New("-tls-auto-secret needs -namespace (or $NAMESPACE)")
	}
	if _, err := parseTLSVersion(o.tlsMinVersion); err != nil {
		return err
	}
	if _, err := parseLevel(o.logLevel); err != nil {
		return err
	}
	if o.logFormat != "standard" && o.logFormat != "json" {
		return fmt.Errorf("unsupported -log-format %q: want standard or json", o.logFormat)
	}
	_, err := o.defaults()
	return err
}

// defaults are the injector-wide defaults the flags give, checked the way
// a pod's annotations are.
func (o *options) defaults() (Defaults, error) {
	d := Defaults{
		VaultAddress: o.vaultAddress, VaultImage: o.vaultImage, AuthType: o.authType, AuthPath: o.authPath,
		DefaultTemplate: o.defaultTemplate, RequestsCPU: o.cpuRequest, RequestsMem: o.memRequest,
		LimitsCPU: o.cpuLimit, LimitsMem: o.memLimit, ExitOnRetryFailure: o.exitOnRetryFailure,
		StaticSecretRenderInterval: o.staticRenderInterval, NativeSidecar: o.nativeSidecar,
	}
	for name, v := range map[string]string{"-cpu-request": o.cpuRequest, "-memory-request": o.memRequest, "-cpu-limit": o.cpuLimit, "-memory-limit": o.memLimit} {
		if _, err := resource.ParseQuantity(v); err != nil {
			return d, fmt.Errorf("%s %q is not a Kubernetes quantity", name, v)
		}
	}
	var err error
	if d.RunAsUser, err = strconv.ParseInt(o.runAsUser, 10, 64); err != nil || d.RunAsUser <= 0 {
		return d, fmt.Errorf("-run-as-user %q: want a positive integer", o.runAsUser)
	}
	if d.RunAsGroup, err = strconv.ParseInt(o.runAsGroup, 10, 64); err != nil || d.RunAsGroup <= 0 {
		return d, fmt.Errorf("-run-as-group %q: want a positive integer", o.runAsGroup)
	}
	if t := strings.ToLower(o.defaultTemplate); t != "map" && t != "json" {
		return d, fmt.Errorf("-default-template %q: want map or json", o.defaultTemplate)
	}
	if o.staticRenderInterval != "" {
		if v, err := time.ParseDuration(o.staticRenderInterval); err != nil || v <= 0 {
			return d, fmt.Errorf("-template-static-secret-render-interval %q: want a positive duration", o.staticRenderInterval)
		}
	}
	return d, nil
}

// unknownEnv lists the AGENT_INJECT_* variables of environ that no flag
// reads (Vault's injector has more), so that a carried-over manifest's
// leftovers are reported rather than silently dropped.
func unknownEnv(environ []string) []string {
	known := map[string]bool{}
	for _, v := range envNames() {
		known[v] = true
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AGENT_INJECT_") && !known[name] {
			out = append(out, name)
		}
	}
	return out
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "trace", "debug":
		return slog.LevelDebug, nil
	case "info", "notice", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "err", "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unsupported -log-level %q: want trace, debug, info, warn or error", s)
}

// Run is `vaultd injector`: it serves until ctx ends and returns the exit
// code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	level, _ := parseLevel(o.logLevel)
	hopts := &slog.HandlerOptions{Level: level}
	var logger *slog.Logger
	if o.logFormat == "json" {
		logger = slog.New(slog.NewJSONHandler(stderr, hopts))
	} else {
		logger = slog.New(slog.NewTextHandler(stderr, hopts))
	}
	for _, name := range unknownEnv(os.Environ()) {
		logger.Warn("ignoring a variable vaultd's injector does not use", "variable", name)
	}
	if err := serve(ctx, o, logger); err != nil {
		logger.Error("injector stopped", "error", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, o *options, logger *slog.Logger) error {
	d, _ := o.defaults()
	h := &Handler{Defaults: d, Logger: logger}
	minVersion, _ := parseTLSVersion(o.tlsMinVersion)
	var get func() (*tls.Certificate, error)
	var cs kubernetes.Interface
	store := &certStore{}
	if o.tlsAuto != "" {
		var err error
		if cs, err = kubeClient(); err != nil {
			return err
		}
		if err := loadAutoTLS(ctx, o, cs, store); err != nil {
			return err
		}
		get = store.get
	} else {
		fc := &fileCert{certFile: o.tlsCertFile, keyFile: o.tlsKeyFile}
		if _, err := fc.load(); err != nil {
			return err
		}
		get = fc.load
		h.SetReady(true)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("injector: listen: %w", err)
	}
	srv := &http.Server{
		Handler:           h.Routes(),
		TLSConfig:         tlsConfig(minVersion, get),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	logger.Info("injector listening", "address", ln.Addr().String(), "vault_address", d.VaultAddress, "agent_image", d.VaultImage)
	if o.tlsAuto != "" {
		go keepCABundle(ctx, cs, o.tlsAuto, store.ca, h, logger)
		go refreshAutoTLS(ctx, o, cs, store, logger)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return fmt.Errorf("injector: serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("injector: shutdown: %w", err)
	}
	logger.Info("injector stopped")
	return nil
}

// keepCABundle writes the CA into the webhook configuration until it
// succeeds, then keeps it there: it watches the configuration and writes
// the CA again whenever an install or upgrade that re-applies it resets
// the caBundle (and checks once a minute should the watch fail).
func keepCABundle(ctx context.Context, cs kubernetes.Interface, name string, ca func() []byte, h *Handler, logger *slog.Logger) {
	wait := time.Second
	for ctx.Err() == nil {
		changed, rv, err := patchCABundle(ctx, cs, name, ca())
		if err != nil {
			logger.Warn("caBundle not written yet; retrying", "webhook_configuration", name, "error", err)
			wait = min(2*wait, 30*time.Second)
			sleep(ctx, wait)
			continue
		}
		if changed {
			logger.Info("wrote the CA into the caBundle", "webhook_configuration", name)
		}
		h.SetReady(true)
		wait = time.Second
		watchUntilChanged(ctx, cs, name, rv, logger)
	}
}

// watchUntilChanged returns when the named configuration changes after
// resource version rv, its watch ends, or a minute passes.
func watchUntilChanged(ctx context.Context, cs kubernetes.Interface, name, rv string, logger *slog.Logger) {
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	w, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Watch(wctx, metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", name).String(),
		ResourceVersion: rv,
	})
	if err != nil {
		logger.Debug("cannot watch the webhook configuration; checking it every minute", "error", err)
		<-wctx.Done()
		return
	}
	defer w.Stop()
	for {
		select {
		case <-wctx.Done():
			return
		case ev, ok := <-w.ResultChan():
			if !ok || ev.Type != watch.Bookmark {
				return
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// loadAutoTLS puts the -tls-auto bundle in store: the replicas' shared one
// from -tls-auto-secret, or this process's own, renewed when it nears its
// end.
func loadAutoTLS(ctx context.Context, o *options, cs kubernetes.Interface, store *certStore) error {
	hosts := splitHosts(o.tlsAutoHosts)
	var b *bundle
	var err error
	if o.tlsAutoSecret != "" {
		b, err = sharedBundle(ctx, cs, o.namespace, o.tlsAutoSecret, hosts, time.Now())
	} else {
		b, _, err = renewed(store.current(), hosts, time.Now())
	}
	if err != nil {
		return err
	}
	return store.set(b)
}

// autoTLSRefresh is how often a running injector renews or re-reads its
// generated certificate; the caBundle follows within a minute.
const autoTLSRefresh = time.Hour

func refreshAutoTLS(ctx context.Context, o *options, cs kubernetes.Interface, store *certStore, logger *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(autoTLSRefresh):
		}
		before := store.current()
		if err := loadAutoTLS(ctx, o, cs, store); err != nil {
			logger.Warn("certificate refresh failed; serving the current one", "error", err)
			continue
		}
		if !bytes.Equal(store.current().Cert, before.Cert) {
			logger.Info("serving a renewed certificate")
		}
	}
}

func splitHosts(s string) []string {
	var out []string
	for h := range strings.SplitSeq(s, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// kubeClient talks to the API server: from $KUBECONFIG when set, else as
// the pod's service account.
func kubeClient() (kubernetes.Interface, error) {
	var cfg *rest.Config
	var err error
	if path := os.Getenv("KUBECONFIG"); path != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", path)
	} else {
		cfg, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("injector: Kubernetes client (needed by -tls-auto): %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("injector: Kubernetes client: %w", err)
	}
	return cs, nil
}
