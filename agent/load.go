package agent

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/vaultd/vaultd/config"
)

// EnvConfig is the environment variable an agent reads its config from
// when no -config is given: base64 of the JSON (how the injector passes
// it), or the JSON itself. The agent image has no shell to write a file.
const EnvConfig = "VAULT_CONFIG"

// LoadFile reads and parses one config file.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// ParseEnv parses the value of VAULT_CONFIG: base64-encoded JSON or HCL,
// or the text itself.
func ParseEnv(value string) (*Config, error) {
	text := strings.TrimSpace(value)
	if text == "" {
		return nil, errors.New(EnvConfig + " is empty")
	}
	if !strings.HasPrefix(text, "{") {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if dec, err := enc.DecodeString(text); err == nil {
				return Parse(EnvConfig, dec)
			}
		}
	}
	return Parse(EnvConfig, []byte(text))
}

// ApplyEnv overrides the vault block with the VAULT_* variables, as Vault
// Agent does: a variable that is set wins over the file.
func ApplyEnv(c *Config, lookup func(string) (string, bool)) error {
	str := func(name string, into *string) {
		if v, ok := lookup(name); ok && v != "" {
			*into = v
		}
	}
	str("VAULT_ADDR", &c.Vault.Address)
	str("VAULT_CACERT", &c.Vault.CACert)
	str("VAULT_CAPATH", &c.Vault.CAPath)
	str("VAULT_CLIENT_CERT", &c.Vault.ClientCert)
	str("VAULT_CLIENT_KEY", &c.Vault.ClientKey)
	str("VAULT_TLS_SERVER_NAME", &c.Vault.TLSServerName)
	if v, ok := lookup("VAULT_SKIP_VERIFY"); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("VAULT_SKIP_VERIFY: want true or false, got %q", v)
		}
		c.Vault.TLSSkipVerify = b
	}
	if v, ok := lookup("VAULT_MAX_RETRIES"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < -1 {
			return fmt.Errorf("VAULT_MAX_RETRIES: want a whole number, got %q", v)
		}
		c.Vault.NumRetries = n
	}
	return nil
}

// DefaultAddress is the server address when neither the file nor
// VAULT_ADDR gives one, as for the vault CLI.
const DefaultAddress = "https://127.0.0.1:8200"

// Validate checks what needs the whole config, after the environment and
// the flags are applied. name is the config's source, for messages.
func (c *Config) Validate(name string) error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, &config.Error{File: name, Err: fmt.Errorf(format, args...)})
	}
	if c.Vault.Address == "" {
		c.Vault.Address = DefaultAddress
	}
	if !strings.HasPrefix(c.Vault.Address, "http://") && !strings.HasPrefix(c.Vault.Address, "https://") {
		fail("vault.address %q: want http:// or https://", c.Vault.Address)
	}
	if c.AutoAuth == nil || c.AutoAuth.Method == nil {
		fail("auto_auth with a method is required")
	} else {
		m := c.AutoAuth.Method
		switch m.Type {
		case MethodKubernetes:
			if m.Role == "" {
				fail("auto_auth method kubernetes: config.role is required")
			}
		case MethodTokenFile:
			if m.TokenFilePath == "" {
				fail("auto_auth method token_file: config.token_file_path is required")
			}
		}
		if m.MountPath == "" {
			m.MountPath = "auth/" + m.Type
		}
		m.MountPath = strings.Trim(m.MountPath, "/")
	}
	dest := map[string]string{}
	for _, t := range c.Templates {
		if first, dup := dest[t.Destination]; dup {
			fail("template at %s: destination %s is also the destination of the template at %s", t.at, t.Destination, first)
		}
		dest[t.Destination] = t.at
	}
	addrs := map[string]bool{}
	for _, l := range c.Listeners {
		if addrs[l.Address] {
			fail("listener tcp: address %s is declared twice", l.Address)
		}
		addrs[l.Address] = true
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}

// proxyFor is the API proxy a listener serves, or nil for a listener that
// only answers the readiness probe.
func (c *Config) proxyFor(l *Listener) *APIProxy {
	if l.APIProxy != nil {
		return l.APIProxy
	}
	return c.APIProxy
}
