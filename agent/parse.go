package agent

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vaultd/vaultd/config"
)

// Parse reads one agent config, HCL or its JSON form (JSON when name ends
// in .json or the text starts with "{"). name is used in messages. Unknown
// keys and bad values fail, naming name and the line; a setting left out
// holds its default. Validate checks what needs the whole config.
func Parse(name string, data []byte) (*Config, error) {
	list, err := config.Syntax(name, data)
	if err != nil {
		return nil, err
	}
	w := &walker{file: name}
	c := &Config{Vault: Vault{NumRetries: DefaultNumRetries}}
	c.TemplateConfig.StaticSecretRenderInterval = DefaultStaticSecretRenderInterval
	seen := map[string]int{}
	for _, f := range fieldsOf(list.Items) {
		w.top(c, f, seen)
	}
	if len(w.errs) > 0 {
		return nil, errors.Join(w.errs...)
	}
	return c, nil
}

func (w *walker) top(c *Config, f field, seen map[string]int) {
	switch f.key {
	case "vault":
		if b, ok := w.oneBlock(f, seen); ok {
			w.vault(&c.Vault, b)
		}
	case "auto_auth":
		if b, ok := w.oneBlock(f, seen); ok {
			c.AutoAuth = w.autoAuth(b)
		}
	case "template":
		for _, b := range w.blocks(f) {
			if t := w.template(b); t != nil {
				c.Templates = append(c.Templates, t)
			}
		}
	case "template_config":
		if b, ok := w.oneBlock(f, seen); ok {
			w.templateConfig(&c.TemplateConfig, b)
		}
	case "listener":
		for _, b := range w.blocks(f) {
			if l := w.listener(b); l != nil {
				c.Listeners = append(c.Listeners, l)
			}
		}
	case "api_proxy", "cache":
		if b, ok := w.oneBlock(f, seen); ok {
			if p := w.apiProxy(b); p != nil {
				if c.APIProxy == nil || c.APIProxy.UseAutoAuthToken == AutoAuthTokenOff {
					c.APIProxy = p
				}
			}
		}
	case "exit_after_auth":
		w.scalar(f, seen, func() (err error) { c.ExitAfterAuth, err = boolean(f.val); return })
	case "pid_file":
		w.scalar(f, seen, func() (err error) { c.PidFile, err = str(f.val); return })
	case "log_level":
		w.scalar(f, seen, func() (err error) {
			c.LogLevel, err = str(f.val)
			if err == nil && !slices.Contains([]string{"trace", "debug", "info", "warn", "error", ""}, c.LogLevel) {
				err = fmt.Errorf("want trace, debug, info, warn or error, got %q", c.LogLevel)
			}
			return
		})
	case "disable_idle_connections", "disable_keep_alives":
		// Vault Agent's connection tuning; accepted, the defaults serve.
		w.scalar(f, seen, func() error { _, err := strList(f.val); return err })
	default:
		w.failf(f.line, "unknown key %q", f.key)
	}
}

// scalar reads a top-level setting once.
func (w *walker) scalar(f field, seen map[string]int, read func() error) {
	if len(f.labels) > 0 {
		w.failf(f.line, "%s is a setting (%s = …), not a block", f.key, f.key)
		return
	}
	if first, dup := seen[f.key]; dup {
		w.failf(f.line, "%s is set more than once (first on line %d)", f.key, first)
		return
	}
	seen[f.key] = f.line
	if err := read(); err != nil {
		w.failf(f.line, "%s: %v", f.key, err)
	}
}

// each runs read for every field of b, refusing nested labels; read
// returns errUnknown for a key it does not know.
func (w *walker) each(b block, read func(f field) error) {
	seen := map[string]int{}
	for _, f := range fieldsOf(b.items) {
		if first, dup := seen[f.key]; dup {
			w.failf(f.line, "%s.%s is set more than once (first on line %d)", b.name, f.key, first)
			continue
		}
		seen[f.key] = f.line
		err := read(f)
		switch {
		case errors.Is(err, errUnknown):
			w.failf(f.line, "%s: unknown key %q", b.name, f.key)
		case err != nil:
			w.failf(f.line, "%s.%s: %v", b.name, f.key, err)
		}
	}
}

var errUnknown = errors.New("unknown key")

func (w *walker) vault(v *Vault, b block) {
	w.each(b, func(f field) (err error) {
		switch f.key {
		case "address":
			v.Address, err = str(f.val)
		case "ca_cert":
			v.CACert, err = str(f.val)
		case "ca_path":
			v.CAPath, err = str(f.val)
		case "client_cert":
			v.ClientCert, err = str(f.val)
		case "client_key":
			v.ClientKey, err = str(f.val)
		case "tls_skip_verify":
			v.TLSSkipVerify, err = boolean(f.val)
		case "tls_server_name":
			v.TLSServerName, err = str(f.val)
		case "retry":
			rb, ok := w.oneBlock(f, map[string]int{})
			if !ok {
				return nil
			}
			w.each(rb, func(rf field) (err error) {
				if rf.key != "num_retries" {
					return errUnknown
				}
				v.NumRetries, err = integer(rf.val)
				if err == nil && v.NumRetries < -1 {
					err = fmt.Errorf("want -1 (no retries) or more, got %d", v.NumRetries)
				}
				return err
			})
		default:
			return errUnknown
		}
		return err
	})
}

func (w *walker) autoAuth(b block) *AutoAuth {
	a := &AutoAuth{}
	seen := map[string]int{}
	for _, f := range fieldsOf(b.items) {
		switch f.key {
		case "method":
			mb, ok := w.oneBlock(f, seen)
			if ok {
				a.Method = w.method(mb)
			}
		case "sink":
			for _, sb := range w.blocks(f) {
				if s := w.sink(sb); s != nil {
					a.Sinks = append(a.Sinks, s)
				}
			}
		default:
			w.failf(f.line, "auto_auth: unknown key %q", f.key)
		}
	}
	return a
}

var methodKeys = []string{"mount_path", "namespace", "config", "exit_on_err", "min_backoff", "max_backoff", "wrap_ttl"}

func (w *walker) method(b block) *Method {
	typ, b, ok := w.typed(b, func(k string) bool { return slices.Contains(methodKeys, k) })
	if !ok {
		return nil
	}
	m := &Method{Type: typ, MinBackoff: DefaultMinBackoff, MaxBackoff: DefaultMaxBackoff}
	switch typ {
	case MethodKubernetes:
		m.TokenPath = DefaultKubernetesTokenPath
	case MethodTokenFile:
	default:
		w.failf(b.line, "auto_auth.method: unsupported type %q (want kubernetes or token_file)", typ)
		return nil
	}
	b.name = "method " + typ
	before := len(w.errs)
	w.each(b, func(f field) (err error) {
		switch f.key {
		case "mount_path":
			m.MountPath, err = str(f.val)
		case "namespace":
			var ns string
			if ns, err = str(f.val); err == nil && ns != "" {
				err = errors.New("namespaces are not supported by vaultd")
			}
		case "exit_on_err":
			m.ExitOnErr, err = boolean(f.val)
		case "min_backoff":
			m.MinBackoff, err = duration(f.val)
		case "max_backoff":
			m.MaxBackoff, err = duration(f.val)
		case "wrap_ttl":
			var d string
			if d, err = str(f.val); err == nil && d != "" && d != "0" {
				err = errors.New("response wrapping of the auto-auth token is not supported")
			}
		case "config":
			cb, ok := w.oneBlock(f, map[string]int{})
			if ok {
				cb.name = b.name + " config"
				w.methodConfig(m, cb)
			}
		default:
			return errUnknown
		}
		return err
	})
	if len(w.errs) > before {
		return nil
	}
	if m.MinBackoff <= 0 {
		m.MinBackoff = DefaultMinBackoff
	}
	if m.MaxBackoff < m.MinBackoff {
		w.failf(b.line, "%s: max_backoff %v is below min_backoff %v", b.name, m.MaxBackoff, m.MinBackoff)
		return nil
	}
	return m
}

func (w *walker) methodConfig(m *Method, b block) {
	w.each(b, func(f field) (err error) {
		switch {
		case m.Type == MethodKubernetes && f.key == "role":
			m.Role, err = str(f.val)
		case m.Type == MethodKubernetes && f.key == "token_path":
			m.TokenPath, err = str(f.val)
		case m.Type == MethodTokenFile && f.key == "token_file_path":
			m.TokenFilePath, err = str(f.val)
		default:
			return errUnknown
		}
		return err
	})
}

var sinkKeys = []string{"config", "wrap_ttl", "dh_type", "dh_path", "aad", "aad_env_var"}

func (w *walker) sink(b block) *Sink {
	typ, b, ok := w.typed(b, func(k string) bool { return slices.Contains(sinkKeys, k) })
	if !ok {
		return nil
	}
	if typ != "file" {
		w.failf(b.line, "auto_auth.sink: unsupported type %q (want file)", typ)
		return nil
	}
	s := &Sink{Type: typ, Mode: DefaultSinkMode}
	b.name = "sink file"
	before := len(w.errs)
	w.each(b, func(f field) (err error) {
		switch f.key {
		case "config":
			cb, ok := w.oneBlock(f, map[string]int{})
			if ok {
				cb.name = "sink file config"
				w.each(cb, func(cf field) (err error) {
					switch cf.key {
					case "path":
						s.Path, err = str(cf.val)
					case "mode":
						if v, _ := str(cf.val); strings.TrimSpace(v) != "" {
							s.Mode, err = mode(cf.val)
						}
					default:
						return errUnknown
					}
					return err
				})
			}
		case "wrap_ttl", "dh_type", "dh_path", "aad", "aad_env_var":
			var v string
			if v, err = str(f.val); err == nil && v != "" && v != "0" {
				err = errors.New("not supported: the file sink writes the token as it is")
			}
		default:
			return errUnknown
		}
		return err
	})
	if len(w.errs) > before {
		return nil
	}
	if s.Path == "" {
		w.failf(b.line, "sink file: config.path is required")
		return nil
	}
	return s
}
