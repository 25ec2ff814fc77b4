package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"
)

// tokenHub holds the agent's current token and tells subscribers when it
// changes. The token never leaves it but to the sinks, the template
// engine and the API proxy.
type tokenHub struct {
	mu    sync.Mutex
	token string
	subs  []chan string
}

// subscribe returns a channel that receives each new token (only the
// latest, if the reader is slow).
func (h *tokenHub) subscribe() <-chan string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := make(chan string, 1)
	if h.token != "" {
		ch <- h.token
	}
	h.subs = append(h.subs, ch)
	return ch
}

func (h *tokenHub) set(token string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.token = token
	for _, ch := range h.subs {
		select {
		case <-ch:
		default:
		}
		ch <- token
	}
}

func (h *tokenHub) current() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.token
}

// authenticator runs auto_auth: log in, write the sinks, keep the token
// renewed, log in again when it cannot be.
type authenticator struct {
	method *Method
	sinks  []*Sink
	client *api.Client // no token; cloned per use
	log    *slog.Logger
	hub    *tokenHub
	// attempts bounds logins in a row that may fail before run gives up;
	// 0 means retry for ever.
	attempts int
	// once stops after the first good login (exit_after_auth).
	once bool
}

// loginError is a login that failed for good, after the retries.
type loginError struct {
	mount string
	err   error
}

func (e *loginError) Error() string {
	return fmt.Sprintf("auto_auth: login with %s failed: %v", e.mount, e.err)
}

func (e *loginError) Unwrap() error { return e.err }

// run logs in and keeps the token alive until ctx ends. It returns a
// *loginError when the logins run out of retries.
func (a *authenticator) run(ctx context.Context) error {
	failures := 0
	for {
		secret, err := a.login(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			if a.method.ExitOnErr || (a.attempts > 0 && failures >= a.attempts) {
				return &loginError{mount: a.method.MountPath, err: err}
			}
			wait := backoff(a.method.MinBackoff, a.method.MaxBackoff, failures)
			a.log.Warn("auto_auth: login failed, will retry", "mount", a.method.MountPath, "error", err, "backoff", wait.Round(time.Millisecond).String())
			if !sleep(ctx, wait) {
				return nil
			}
			continue
		}
		failures = 0
		token := secret.Auth.ClientToken
		if err := a.writeSinks(token); err != nil {
			if a.once {
				return err
			}
			a.log.Error("auto_auth: sink write failed", "error", err)
		}
		a.hub.set(token)
		a.log.Info("auto_auth: authenticated", "mount", a.method.MountPath, "ttl", fmt.Sprintf("%ds", secret.Auth.LeaseDuration), "renewable", secret.Auth.Renewable)
		if a.once {
			<-ctx.Done()
			return nil
		}
		if !a.watch(ctx, token, secret) {
			return nil
		}
	}
}

// watch keeps token renewed, as Vault's lifetime watcher does (at about
// two thirds of the TTL, with jitter), and returns true when it can no
// longer be renewed and a new login is due; false when ctx ended.
func (a *authenticator) watch(ctx context.Context, token string, secret *api.Secret) bool {
	if secret.Auth.LeaseDuration <= 0 {
		<-ctx.Done() // a token that never expires
		return false
	}
	c, err := a.client.Clone()
	if err != nil {
		a.log.Error("auto_auth: client", "error", err)
		return true
	}
	c.SetToken(token)
	lw, err := c.NewLifetimeWatcher(&api.LifetimeWatcherInput{Secret: secret, Increment: secret.Auth.LeaseDuration})
	if err != nil {
		a.log.Error("auto_auth: lifetime watcher", "error", err)
		return true
	}
	go lw.Start()
	defer lw.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case err := <-lw.DoneCh():
			if err != nil {
				a.log.Warn("auto_auth: token renewal failed, logging in again", "error", err)
			} else {
				a.log.Info("auto_auth: token can no longer be renewed, logging in again")
			}
			return true
		case r := <-lw.RenewCh():
			ttl := 0
			if r.Secret != nil && r.Secret.Auth != nil {
				ttl = r.Secret.Auth.LeaseDuration
			}
			a.log.Info("auto_auth: renewed auth token", "ttl", fmt.Sprintf("%ds", ttl))
		}
	}
}

// login performs one login with the configured method.
func (a *authenticator) login(ctx context.Context) (*api.Secret, error) {
	switch a.method.Type {
	case MethodKubernetes:
		return a.kubernetesLogin(ctx)
	case MethodTokenFile:
		return a.tokenFileLogin(ctx)
	}
	return nil, fmt.Errorf("unsupported method %q", a.method.Type)
}

// kubernetesLogin reads the service-account token afresh each time (the
// kubelet rotates it) and logs in with it.
func (a *authenticator) kubernetesLogin(ctx context.Context) (*api.Secret, error) {
	jwt, err := readSecretFile(a.method.TokenPath)
	if err != nil {
		return nil, fmt.Errorf("read service-account token: %w", err)
	}
	c, err := a.client.Clone()
	if err != nil {
		return nil, err
	}
	c.ClearToken()
	secret, err := c.Logical().WriteWithContext(ctx, a.method.MountPath+"/login", map[string]any{
		"role": a.method.Role,
		"jwt":  jwt,
	})
	if err != nil {
		return nil, err
	}
	if secret == nil || secret.Auth == nil || secret.Auth.ClientToken == "" {
		return nil, errors.New("the login answered no token")
	}
	return secret, nil
}

// tokenFileLogin takes the token in a file as it is, and looks it up to
// learn its TTL.
func (a *authenticator) tokenFileLogin(ctx context.Context) (*api.Secret, error) {
	token, err := readSecretFile(a.method.TokenFilePath)
	if err != nil {
		return nil, fmt.Errorf("read token file: %w", err)
	}
	c, err := a.client.Clone()
	if err != nil {
		return nil, err
	}
	c.SetToken(token)
	self, err := c.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("look up the token from %s: %w", a.method.TokenFilePath, err)
	}
	ttl, _ := self.TokenTTL()
	renewable, _ := self.TokenIsRenewable()
	return &api.Secret{Auth: &api.SecretAuth{
		ClientToken:   token,
		LeaseDuration: int(ttl.Seconds()),
		Renewable:     renewable,
	}}, nil
}

func readSecretFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

func (a *authenticator) writeSinks(token string) error {
	var errs []error
	for _, s := range a.sinks {
		if err := writeFileAtomic(s.Path, []byte(token), s.Mode, false); err != nil {
			errs = append(errs, fmt.Errorf("sink file %s: %w", s.Path, err))
		}
	}
	return errors.Join(errs...)
}

// backoff is the wait before retry n (1-based): min doubled each time,
// capped at max, less up to a quarter at random so agents started
// together do not retry together.
func backoff(lo, hi time.Duration, n int) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
