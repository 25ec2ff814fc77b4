package agent

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/hcl/ast"
)

func (w *walker) template(b block) *Template {
	t := &Template{at: w.file + ":" + strconv.Itoa(b.line), CreateDestDirs: true}
	if len(b.labels) > 0 {
		w.failf(b.line, "template takes no label")
		return nil
	}
	permsSet := false
	before := len(w.errs)
	w.each(b, func(f field) (err error) {
		switch f.key {
		case "contents":
			t.Contents, err = str(f.val)
		case "source":
			t.Source, err = str(f.val)
		case "destination":
			t.Destination, err = str(f.val)
		case "perms":
			if v, _ := str(f.val); strings.TrimSpace(v) == "" {
				return nil // "" is "not set"
			}
			t.Perms, err = mode(f.val)
			permsSet = err == nil
		case "command":
			t.Command, err = command(f.val)
		case "command_timeout":
			t.CommandTimeout, err = duration(f.val)
		case "create_dest_dirs":
			t.CreateDestDirs, err = boolean(f.val)
		case "error_on_missing_key":
			t.ErrorOnMissingKey, err = boolean(f.val)
		case "left_delimiter":
			t.LeftDelimiter, err = str(f.val)
		case "right_delimiter":
			t.RightDelimiter, err = str(f.val)
		case "backup":
			t.Backup, err = boolean(f.val)
		case "wait":
			wb, ok := w.oneBlock(f, map[string]int{})
			if ok {
				wb.name = "template wait"
				w.each(wb, func(wf field) (err error) {
					switch wf.key {
					case "min":
						t.WaitMin, err = duration(wf.val)
					case "max":
						t.WaitMax, err = duration(wf.val)
					default:
						return errUnknown
					}
					return err
				})
			}
		default:
			return errUnknown
		}
		return err
	})
	if len(w.errs) > before {
		return nil
	}
	switch {
	case t.Destination == "":
		w.failf(b.line, "template: destination is required")
		return nil
	case t.Contents != "" && t.Source != "":
		w.failf(b.line, "template %s: give contents or source, not both", t.Destination)
		return nil
	case t.Contents == "" && t.Source == "":
		w.failf(b.line, "template %s: contents or source is required", t.Destination)
		return nil
	case t.WaitMax != 0 && t.WaitMax < t.WaitMin:
		w.failf(b.line, "template %s: wait max %v is below min %v", t.Destination, t.WaitMax, t.WaitMin)
		return nil
	}
	if !permsSet {
		t.Perms = DefaultTemplatePerms
	}
	return t
}

// command reads a template's command: one string (run through sh -c when
// it has spaces and a shell exists, as consul-template does) or a list of
// arguments (run as they are).
func command(n ast.Node) ([]string, error) {
	if _, ok := n.(*ast.ListType); ok {
		return strList(n)
	}
	s, err := str(n)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	return []string{s}, nil
}

func (w *walker) templateConfig(tc *TemplateConfig, b block) {
	w.each(b, func(f field) (err error) {
		switch f.key {
		case "static_secret_render_interval":
			tc.StaticSecretRenderInterval, err = duration(f.val)
			if err == nil && tc.StaticSecretRenderInterval == 0 {
				tc.StaticSecretRenderInterval = DefaultStaticSecretRenderInterval
			}
		case "exit_on_retry_failure":
			tc.ExitOnRetryFailure, err = boolean(f.val)
		case "max_connections_per_host":
			tc.MaxConnectionsPerHost, err = integer(f.val)
			if err == nil && tc.MaxConnectionsPerHost < 0 {
				err = fmt.Errorf("want 0 or more, got %d", tc.MaxConnectionsPerHost)
			}
		case "lease_renewal_threshold":
			tc.LeaseRenewalThreshold, err = float(f.val)
			if err == nil && (tc.LeaseRenewalThreshold < 0 || tc.LeaseRenewalThreshold >= 1) {
				err = fmt.Errorf("want a fraction between 0 and 1, got %v", tc.LeaseRenewalThreshold)
			}
		default:
			return errUnknown
		}
		return err
	})
}

var listenerKeys = []string{"address", "tls_disable", "tls_cert_file", "tls_key_file", "api_proxy"}

func (w *walker) listener(b block) *Listener {
	typ, b, ok := w.typed(b, func(k string) bool {
		for _, known := range listenerKeys {
			if k == known {
				return true
			}
		}
		return false
	})
	if !ok {
		return nil
	}
	if typ != "tcp" {
		w.failf(b.line, "listener: unsupported type %q (want tcp)", typ)
		return nil
	}
	l := &Listener{Type: typ, Address: "127.0.0.1:8100"}
	b.name = "listener tcp"
	before := len(w.errs)
	w.each(b, func(f field) (err error) {
		switch f.key {
		case "address":
			l.Address, err = str(f.val)
		case "tls_disable":
			l.TLSDisable, err = boolean(f.val)
		case "tls_cert_file":
			l.TLSCertFile, err = str(f.val)
		case "tls_key_file":
			l.TLSKeyFile, err = str(f.val)
		case "api_proxy":
			pb, ok := w.oneBlock(f, map[string]int{})
			if ok {
				l.APIProxy = w.apiProxy(pb)
			}
		default:
			return errUnknown
		}
		return err
	})
	if len(w.errs) > before {
		return nil
	}
	if !l.TLSDisable && (l.TLSCertFile == "" || l.TLSKeyFile == "") {
		w.failf(b.line, "listener tcp %s: give tls_cert_file and tls_key_file, or tls_disable = true", l.Address)
		return nil
	}
	return l
}

// apiProxy reads api_proxy { use_auto_auth_token } (or the older cache
// block with the same key): true, false, "true", "false" or "force".
func (w *walker) apiProxy(b block) *APIProxy {
	p := &APIProxy{}
	w.each(b, func(f field) error {
		switch f.key {
		case "use_auto_auth_token":
			s, err := str(f.val)
			if err != nil {
				return err
			}
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "true":
				p.UseAutoAuthToken = AutoAuthTokenOn
			case "false", "":
				p.UseAutoAuthToken = AutoAuthTokenOff
			case "force":
				p.UseAutoAuthToken = AutoAuthTokenForce
			default:
				return fmt.Errorf("want true, false or \"force\", got %q", s)
			}
			return nil
		case "enforce_consistency", "when_inconsistent":
			return errors.New("not supported by vaultd's agent")
		}
		return errUnknown
	})
	return p
}
