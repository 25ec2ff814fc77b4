package injector

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
)

// The agent's configuration in the JSON shape Vault's injector emits (and
// `vaultd agent` reads from VAULT_CONFIG, base64). Only what the injector
// sets is declared here; the agent's own config package owns the rest.
type agentConfig struct {
	AutoAuth       *autoAuth       `json:"auto_auth"`
	ExitAfterAuth  bool            `json:"exit_after_auth"`
	PidFile        string          `json:"pid_file"`
	Vault          *vaultStanza    `json:"vault"`
	Templates      []*templ        `json:"template,omitempty"`
	Listeners      []*listener     `json:"listener,omitempty"`
	Cache          *cacheStanza    `json:"cache,omitempty"`
	TemplateConfig *templateConfig `json:"template_config,omitempty"`
}

type vaultStanza struct {
	Address       string `json:"address"`
	CACert        string `json:"ca_cert,omitempty"`
	TLSSkipVerify bool   `json:"tls_skip_verify,omitempty"`
	TLSServerName string `json:"tls_server_name,omitempty"`
}

type autoAuth struct {
	Method *method `json:"method,omitempty"`
	Sinks  []*sink `json:"sink,omitempty"`
}

type method struct {
	Type      string         `json:"type"`
	MountPath string         `json:"mount_path,omitempty"`
	Config    map[string]any `json:"config,omitempty"`
}

type sink struct {
	Type   string         `json:"type"`
	Config map[string]any `json:"config,omitempty"`
}

type templ struct {
	Destination   string `json:"destination"`
	Contents      string `json:"contents,omitempty"`
	LeftDelim     string `json:"left_delimiter,omitempty"`
	RightDelim    string `json:"right_delimiter,omitempty"`
	Command       string `json:"command,omitempty"`
	Perms         string `json:"perms,omitempty"`
	ErrMissingKey bool   `json:"error_on_missing_key,omitempty"`
}

type listener struct {
	Type       string       `json:"type"`
	Address    string       `json:"address"`
	TLSDisable bool         `json:"tls_disable"`
	APIProxy   *cacheStanza `json:"api_proxy,omitempty"`
}

type cacheStanza struct {
	UseAutoAuthToken string `json:"use_auto_auth_token,omitempty"`
}

type templateConfig struct {
	ExitOnRetryFailure         bool   `json:"exit_on_retry_failure"`
	StaticSecretRenderInterval string `json:"static_secret_render_interval,omitempty"`
}

// Paths inside the agent containers.
const (
	homeDir   = "/home/vault"
	pidFile   = homeDir + "/.pid"
	tokenFile = homeDir + "/.vault-token"
	// cacheListenAddress is where the agent's cache listens when
	// agent-cache-enable is true, as with Vault's injector.
	cacheListenAddress = "127.0.0.1:8200"
	// ReadyPort is the port of the listener the injector adds to a native
	// sidecar's agent: the startup probe asks GET /agent/v1/ready there.
	ReadyPort = 8210
	// ReadyPath is the agent's "all templates rendered" endpoint.
	ReadyPath = "/agent/v1/ready"
)

// agentMode is which of the three agent containers a config is for.
type agentMode int

const (
	modeInit    agentMode = iota // renders once and exits
	modeSidecar                  // keeps the secrets fresh
	modeNative                   // both: an init container that keeps running
)

// config builds the agent's configuration for one container. tokenPath is
// where the pod's service-account token is mounted.
func (p *plan) config(mode agentMode, tokenPath string) *agentConfig {
	c := &agentConfig{
		ExitAfterAuth: mode == modeInit,
		PidFile:       pidFile,
		Vault: &vaultStanza{
			Address:       p.address,
			CACert:        p.caCert,
			TLSSkipVerify: p.tlsSkipVerify,
			TLSServerName: p.tlsServerName,
		},
		AutoAuth: &autoAuth{
			Method: &method{
				Type:      p.authType,
				MountPath: p.authPath,
				Config:    map[string]any{"role": p.role, "token_path": tokenPath},
			},
			Sinks: []*sink{{Type: "file", Config: map[string]any{"path": tokenFile}}},
		},
		TemplateConfig: &templateConfig{
			ExitOnRetryFailure:         p.exitOnRetryFailure,
			StaticSecretRenderInterval: p.renderInterval,
		},
	}
	for _, s := range p.secrets {
		c.Templates = append(c.Templates, &templ{
			Destination:   s.file,
			Contents:      s.template,
			LeftDelim:     s.leftDelim,
			RightDelim:    s.rightDelim,
			Command:       s.command,
			Perms:         s.perms,
			ErrMissingKey: s.errMissingKey,
		})
	}
	switch {
	case p.cacheEnable && mode == modeSidecar:
		// Vault's shape: a top-level cache block for the one listener.
		c.Listeners = append(c.Listeners, &listener{Type: "tcp", Address: cacheListenAddress, TLSDisable: true})
		c.Cache = &cacheStanza{UseAutoAuthToken: "true"}
	case p.cacheEnable && mode == modeNative:
		// The readiness listener below is open to the pod's network: the
		// proxy that adds the agent's token must stay on the loopback one,
		// so it is set on that listener alone rather than for all.
		c.Listeners = append(c.Listeners, &listener{Type: "tcp", Address: cacheListenAddress, TLSDisable: true,
			APIProxy: &cacheStanza{UseAutoAuthToken: "true"}})
	}
	if mode == modeNative {
		c.Listeners = append(c.Listeners, &listener{Type: "tcp", Address: "0.0.0.0:" + strconv.Itoa(ReadyPort), TLSDisable: true})
	}
	return c
}

// encode is the VAULT_CONFIG value: the JSON, base64.
func (c *agentConfig) encode() (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("injector: agent config: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// DecodeAgentConfig reads a VAULT_CONFIG value back into generic JSON, for
// tests and for debugging a stored pod.
func DecodeAgentConfig(v string) (map[string]any, error) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("injector: VAULT_CONFIG is not base64: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("injector: VAULT_CONFIG is not JSON: %w", err)
	}
	return m, nil
}

// configMapFile is the file of an agent-configmap a container reads.
func configMapFile(mode agentMode) string {
	if mode == modeInit {
		return path.Join(configMapPath, "config-init.hcl")
	}
	return path.Join(configMapPath, "config.hcl")
}
