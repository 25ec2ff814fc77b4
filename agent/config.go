package agent

import (
	"os"
	"time"
)

// Defaults Vault Agent uses where a config leaves a setting out.
const (
	// DefaultStaticSecretRenderInterval is how often a secret without a
	// lease (KV) is read again.
	DefaultStaticSecretRenderInterval = 5 * time.Minute
	// DefaultKubernetesTokenPath is where the kubelet mounts the pod's
	// service-account token.
	DefaultKubernetesTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	// DefaultNumRetries is how many times a failed request is retried.
	DefaultNumRetries = 12
	// DefaultMinBackoff and DefaultMaxBackoff bound the wait between
	// failed logins.
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 5 * time.Minute
	// DefaultSinkMode is the mode of a file sink that names none.
	DefaultSinkMode os.FileMode = 0o640
	// DefaultTemplatePerms is the mode of a rendered file that names none.
	DefaultTemplatePerms os.FileMode = 0o644
)

// Config is one agent configuration, the shape Vault Agent reads.
type Config struct {
	Vault          Vault
	AutoAuth       *AutoAuth
	Templates      []*Template
	TemplateConfig TemplateConfig
	Listeners      []*Listener
	// APIProxy is the top-level api_proxy block, or the older
	// cache { use_auto_auth_token } that means the same.
	APIProxy      *APIProxy
	ExitAfterAuth bool
	PidFile       string
	LogLevel      string
}

// Vault says how to reach the server.
type Vault struct {
	Address       string
	CACert        string
	CAPath        string
	ClientCert    string
	ClientKey     string
	TLSSkipVerify bool
	TLSServerName string
	// NumRetries is retry { num_retries }: how often a failed request (and,
	// with exit_after_auth, a failed login) is tried again. -1 disables.
	NumRetries int
}

// AutoAuth is the login method and where its token goes.
type AutoAuth struct {
	Method *Method
	Sinks  []*Sink
}

// Method types.
const (
	MethodKubernetes = "kubernetes"
	MethodTokenFile  = "token_file"
)

// Method is one auto_auth method.
type Method struct {
	Type      string
	MountPath string // auth/<type> when empty
	// Role and TokenPath are the kubernetes method's config.
	Role      string
	TokenPath string
	// TokenFilePath is the token_file method's config.
	TokenFilePath string
	// ExitOnErr makes a failed login fatal at once instead of retried.
	ExitOnErr  bool
	MinBackoff time.Duration
	MaxBackoff time.Duration
}

// Sink is one auto_auth sink; only "file" exists.
type Sink struct {
	Type string
	Path string
	Mode os.FileMode
}

// Template is one template block.
type Template struct {
	Contents          string
	Source            string
	Destination       string
	Perms             os.FileMode
	Command           []string
	CommandTimeout    time.Duration
	CreateDestDirs    bool
	ErrorOnMissingKey bool
	LeftDelimiter     string
	RightDelimiter    string
	WaitMin, WaitMax  time.Duration
	Backup            bool

	// at is where the block was written, for messages.
	at string
}

// Name is how messages refer to the template: its destination.
func (t *Template) Name() string { return t.Destination }

// TemplateConfig is the template_config block.
type TemplateConfig struct {
	StaticSecretRenderInterval time.Duration
	ExitOnRetryFailure         bool
	MaxConnectionsPerHost      int
	LeaseRenewalThreshold      float64
}

// Listener is one listener "tcp" block. Every listener serves
// /agent/v1/ready; one with api_proxy also forwards /v1/.
type Listener struct {
	Type        string
	Address     string
	TLSDisable  bool
	TLSCertFile string
	TLSKeyFile  string
	// APIProxy set inside the listener block (a vaultd convenience; Vault
	// Agent puts api_proxy at the top level).
	APIProxy *APIProxy
}

// Token use of the API proxy.
const (
	AutoAuthTokenOff   = ""      // forward the client's token as it is
	AutoAuthTokenOn    = "true"  // add the agent's token when the request has none
	AutoAuthTokenForce = "force" // replace whatever token the request has
)

// APIProxy is api_proxy { use_auto_auth_token }.
type APIProxy struct {
	UseAutoAuthToken string
}
