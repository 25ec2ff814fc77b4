package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	ctconfig "github.com/hashicorp/consul-template/config"
	"github.com/hashicorp/consul-template/manager"
	cttemplate "github.com/hashicorp/consul-template/template"
)

// readiness is closed once every template has rendered at least once.
type readiness struct {
	once sync.Once
	ch   chan struct{}
}

func newReadiness() *readiness { return &readiness{ch: make(chan struct{})} }

func (r *readiness) set() { r.once.Do(func() { close(r.ch) }) }
func (r *readiness) ready() bool {
	select {
	case <-r.ch:
		return true
	default:
		return false
	}
}

// templateError is a template that failed for good.
type templateError struct{ err error }

func (e *templateError) Error() string { return "template: " + e.err.Error() }
func (e *templateError) Unwrap() error { return e.err }

// engine renders the templates with consul-template's runner, the engine
// Vault Agent embeds, restarting it with each new token.
type engine struct {
	cfg   *Config
	log   *slog.Logger
	ready *readiness
	// once returns after every template has rendered (exit_after_auth).
	once bool
}

// checkTemplates parses every template at start-up, so that one that
// cannot parse (or a source that cannot be read) stops the agent before
// anything is written. The check executes against an empty store of
// secrets: nothing is fetched and nothing is written.
func checkTemplates(ts []*Template) error {
	var errs []error
	base := ctconfig.DefaultConfig()
	base.Finalize()
	for _, t := range ts {
		in := &cttemplate.NewTemplateInput{
			Source:      t.Source,
			Contents:    t.Contents,
			Destination: t.Destination,
			LeftDelim:   t.LeftDelimiter,
			RightDelim:  t.RightDelimiter,
			ReaderFunc:  os.ReadFile,
			// writeToFile is the one helper that writes; keep it from
			// running during the check.
			FunctionDenylist: []string{"writeToFile"},
		}
		tmpl, err := cttemplate.NewTemplate(in)
		if err != nil {
			errs = append(errs, fmt.Errorf("template %s (%s): %w", t.Destination, t.at, err))
			continue
		}
		_, err = tmpl.Execute(&cttemplate.ExecuteInput{Brain: cttemplate.NewBrain(), Config: base})
		if err != nil && strings.HasPrefix(err.Error(), "parse") {
			errs = append(errs, fmt.Errorf("template %s (%s): %w", t.Destination, t.at, err))
		}
	}
	return errors.Join(errs...)
}

func ptr[T any](v T) *T { return &v }

// runnerConfig is the consul-template configuration for the agent's vault
// block and templates, holding token.
func (e *engine) runnerConfig(token string) *ctconfig.Config {
	v := e.cfg.Vault
	c := ctconfig.DefaultConfig()
	// Set everything the runner would otherwise take from the environment
	// or ~/.vault-token: the agent alone decides the token. (A set
	// vault_agent_token_file, even empty, would replace the token.)
	c.Vault.Address = ptr(v.Address)
	c.Vault.Token = ptr(token)
	c.Vault.RenewToken = ptr(false)
	c.Vault.UnwrapToken = ptr(false)
	c.Vault.Namespace = ptr("")
	c.Vault.DefaultLeaseDuration = ptr(e.cfg.TemplateConfig.StaticSecretRenderInterval)
	if th := e.cfg.TemplateConfig.LeaseRenewalThreshold; th > 0 {
		c.Vault.LeaseRenewalThreshold = ptr(th)
	}
	tls := strings.HasPrefix(v.Address, "https://")
	c.Vault.SSL = &ctconfig.SSLConfig{
		Enabled:    ptr(tls),
		Verify:     ptr(tls && !v.TLSSkipVerify),
		Cert:       ptr(v.ClientCert),
		Key:        ptr(v.ClientKey),
		CaCert:     ptr(v.CACert),
		CaPath:     ptr(v.CAPath),
		ServerName: ptr(v.TLSServerName),
	}
	retries := v.NumRetries
	c.Vault.Retry = &ctconfig.RetryConfig{Enabled: ptr(retries > 0), Attempts: ptr(max(retries, 0))}
	if n := e.cfg.TemplateConfig.MaxConnectionsPerHost; n > 0 {
		c.Vault.Transport = &ctconfig.TransportConfig{MaxConnsPerHost: ptr(n)}
	}
	// The agent has no Consul or Nomad; keep the runner from looking.
	c.Consul.Address = ptr("")
	c.Nomad.Enabled = ptr(false)
	c.Templates = &ctconfig.TemplateConfigs{}
	for _, t := range e.cfg.Templates {
		tc := &ctconfig.TemplateConfig{
			Destination:    ptr(t.Destination),
			Perms:          ptr(t.Perms),
			CreateDestDirs: ptr(t.CreateDestDirs),
			ErrMissingKey:  ptr(t.ErrorOnMissingKey),
			Backup:         ptr(t.Backup),
			Command:        t.Command,
		}
		if t.Contents != "" {
			tc.Contents = ptr(t.Contents)
		} else {
			tc.Source = ptr(t.Source)
		}
		if t.CommandTimeout > 0 {
			tc.CommandTimeout = ptr(t.CommandTimeout)
		}
		if t.LeftDelimiter != "" {
			tc.LeftDelim = ptr(t.LeftDelimiter)
		}
		if t.RightDelimiter != "" {
			tc.RightDelim = ptr(t.RightDelimiter)
		}
		if t.WaitMin > 0 || t.WaitMax > 0 {
			tc.Wait = &ctconfig.WaitConfig{Enabled: ptr(true), Min: ptr(t.WaitMin), Max: ptr(max(t.WaitMax, t.WaitMin))}
		}
		*c.Templates = append(*c.Templates, tc)
	}
	c.Finalize()
	return c
}

// run renders until ctx ends (or, with once, until every template has
// rendered). It returns a *templateError when a template fails for good:
// after the retries in once mode or with exit_on_retry_failure; otherwise
// the runner is started again and the files keep their last content.
func (e *engine) run(ctx context.Context, tokens <-chan string) error {
	if len(e.cfg.Templates) == 0 {
		e.ready.set()
		if e.once {
			select {
			case <-tokens:
			case <-ctx.Done():
			}
			return nil
		}
		<-ctx.Done()
		return nil
	}
	var (
		runner *manager.Runner
		token  string
	)
	stop := func() {
		if runner != nil {
			runner.Stop()
			// An error the runner was about to report would block its
			// goroutine for ever once nobody reads ErrCh; take it.
			go func(ch <-chan error) {
				select {
				case <-ch:
				case <-time.After(time.Minute):
				}
			}(runner.ErrCh)
			runner = nil
		}
	}
	defer stop()
	start := func() error {
		stop()
		r, err := manager.NewRunner(e.runnerConfig(token), false)
		if err != nil {
			return err
		}
		runner = r
		go r.Start()
		return nil
	}
	var errCh <-chan error
	var renderedCh <-chan struct{}
	for {
		if runner != nil {
			errCh, renderedCh = runner.ErrCh, runner.TemplateRenderedCh()
		} else {
			errCh, renderedCh = nil, nil
		}
		select {
		case <-ctx.Done():
			return nil
		case t := <-tokens:
			if t == token || (e.once && runner != nil) {
				continue
			}
			token = t
			e.log.Info("template: starting the renderer with a new token")
			if err := start(); err != nil {
				return &templateError{err: err}
			}
		case err := <-errCh:
			if names := pending(runner, e.cfg.Templates); len(names) > 0 && !e.ready.ready() {
				err = fmt.Errorf("%s: %w", strings.Join(names, ", "), err)
			}
			runner.StopImmediately()
			runner = nil
			if e.once || e.cfg.TemplateConfig.ExitOnRetryFailure {
				return &templateError{err: err}
			}
			e.log.Error("template: rendering failed, files keep their last content; starting again", "error", err)
			if !sleep(ctx, time.Second) {
				return nil
			}
			if err := start(); err != nil {
				return &templateError{err: err}
			}
		case <-renderedCh:
			if !allRendered(runner) {
				continue
			}
			if !e.ready.ready() {
				e.log.Info("template: every template rendered")
			}
			e.ready.set()
			if e.once {
				return nil
			}
		}
	}
}

// allRendered reports whether every template has rendered at least once.
func allRendered(r *manager.Runner) bool {
	want := len(r.TemplateConfigMapping())
	events := r.RenderEvents()
	if len(events) < want {
		return false
	}
	for _, ev := range events {
		if ev.LastWouldRender.IsZero() && !ev.ForQuiescence {
			return false
		}
	}
	return true
}

// pending names the templates that have not rendered yet.
func pending(r *manager.Runner, ts []*Template) []string {
	done := map[string]bool{}
	for _, ev := range r.RenderEvents() {
		if ev.LastWouldRender.IsZero() {
			continue
		}
		for _, tc := range ev.TemplateConfigs {
			if tc != nil && tc.Destination != nil {
				done[*tc.Destination] = true
			}
		}
	}
	var out []string
	for _, t := range ts {
		if !done[t.Destination] {
			out = append(out, t.Destination)
		}
	}
	return out
}
