package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/core"
)

// Timings of retry_join: how often a node that is not a member asks, and
// how often a node holding a challenge refreshes it (challenges expire on
// the active node after five minutes).
const (
	joinRetry   = 2 * time.Second
	joinRefresh = 3 * time.Minute
)

// joiner asks the members named by retry_join (or by a sys/storage/raft/join
// request) for a join challenge until one answers, then leaves the rest to
// the unseal: see core/ha_join.go for the protocol.
type joiner struct {
	rn   *raftNode
	core *core.Core

	mu      sync.Mutex
	leaders []*joinTarget
	kick    chan struct{}
	offered time.Time

	cancel context.CancelFunc
	done   chan struct{}
}

func newJoiner(rn *raftNode, c *core.Core) *joiner {
	j := &joiner{rn: rn, core: c, kick: make(chan struct{}, 1), done: make(chan struct{})}
	if r := rn.conf.Storage.Raft; r != nil {
		for _, rj := range r.RetryJoin {
			t, err := targetFromConfig(rj)
			if err != nil {
				rn.logger.Warn("retry_join: skipping a target", "leader_api_addr", rj.LeaderAPIAddr, "error", err)
				continue
			}
			j.leaders = append(j.leaders, t)
		}
	}
	return j
}

func (j *joiner) start() {
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel = cancel
	go j.loop(ctx)
}

func (j *joiner) stop() {
	j.cancel()
	<-j.done
}

func (j *joiner) loop(ctx context.Context) {
	defer close(j.done)
	for {
		if j.member(ctx) {
			return
		}
		j.mu.Lock()
		due := len(j.leaders) > 0 && (!j.core.JoinPending() || time.Since(j.offered) > joinRefresh)
		j.mu.Unlock()
		if due {
			if err := j.tryAll(ctx); err != nil {
				j.rn.logger.Info("raft join: no member answered yet", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-j.kick:
		case <-time.After(joinRetry):
		}
	}
}

// member reports whether the node already belongs to a cluster (its own
// or one it joined): then there is nothing to join.
func (j *joiner) member(ctx context.Context) bool {
	has, err := j.rn.backend.HasState()
	if err != nil || has {
		return err == nil
	}
	init, err := j.core.Initialized(ctx)
	return err == nil && init && !j.core.JoinPending()
}

// add asks to join through one more member, now; a sys/storage/raft/join
// request lands here.
func (j *joiner) add(t *joinTarget) {
	j.mu.Lock()
	j.leaders = append([]*joinTarget{t}, j.leaders...)
	j.offered = time.Time{}
	j.mu.Unlock()
	select {
	case j.kick <- struct{}{}:
	default:
	}
}

func (j *joiner) tryAll(ctx context.Context) error {
	j.mu.Lock()
	leaders := append([]*joinTarget(nil), j.leaders...)
	j.mu.Unlock()
	var errs []error
	for _, t := range leaders {
		err := j.try(ctx, t)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", t.addr, err))
	}
	return errors.Join(errs...)
}

// challengeData is the data of a bootstrap/challenge answer.
type challengeData struct {
	Challenge  []byte              `json:"challenge"`
	RootKey    []byte              `json:"root_key"`
	SealConfig core.JoinSealConfig `json:"seal_config"`
}

func (j *joiner) try(ctx context.Context, t *joinTarget) error {
	client := t.client
	rj := &config.RetryJoin{LeaderAPIAddr: t.addr}
	id := j.rn.backend.NodeID()
	var ch challengeData
	if err := postJSON(ctx, client, rj.LeaderAPIAddr, "sys/storage/raft/bootstrap/challenge", map[string]any{"server_id": id}, &ch); err != nil {
		return err
	}
	if len(ch.Challenge) == 0 || len(ch.RootKey) == 0 || ch.SealConfig.SecretThreshold < 1 {
		return errors.New("incomplete challenge")
	}
	answer := func(ctx context.Context, answer []byte) ([]byte, error) {
		var out struct {
			ClusterTLS []byte `json:"cluster_tls"`
		}
		body := map[string]any{
			"server_id": id, "answer": answer,
			"cluster_addr": j.rn.conf.ClusterAddr, "api_addr": j.rn.conf.APIAddr,
		}
		if err := postJSON(ctx, client, rj.LeaderAPIAddr, "sys/storage/raft/bootstrap/answer", body, &out); err != nil {
			return nil, err
		}
		if len(out.ClusterTLS) == 0 {
			return nil, errors.New("the answer carried no cluster credentials")
		}
		return out.ClusterTLS, nil
	}
	if err := j.core.OfferJoin(ctx, &core.JoinOffer{
		SealConfig: ch.SealConfig, RootKeyBlob: ch.RootKey, Challenge: ch.Challenge, Answer: answer,
	}); err != nil {
		return err
	}
	j.mu.Lock()
	j.offered = time.Now()
	j.mu.Unlock()
	j.rn.logger.Info("raft join: challenge received; unseal this node with the cluster's key shares to join", "leader", rj.LeaderAPIAddr)
	return nil
}

// joinTarget is one member to ask, with the HTTP client that reaches its
// API (its CA, server name and client certificate).
type joinTarget struct {
	addr   string
	client *http.Client
}

// targetFromConfig reads a retry_join block's files.
func targetFromConfig(rj *config.RetryJoin) (*joinTarget, error) {
	var ca, cert, key []byte
	var err error
	if rj.LeaderCACertFile != "" {
		if ca, err = os.ReadFile(rj.LeaderCACertFile); err != nil {
			return nil, fmt.Errorf("leader_ca_cert_file: %w", err)
		}
	}
	if rj.LeaderClientCertFile != "" {
		if cert, err = os.ReadFile(rj.LeaderClientCertFile); err != nil {
			return nil, fmt.Errorf("leader_client_cert_file: %w", err)
		}
		if key, err = os.ReadFile(rj.LeaderClientKeyFile); err != nil {
			return nil, fmt.Errorf("leader_client_key_file: %w", err)
		}
	}
	return newJoinTarget(rj.LeaderAPIAddr, rj.LeaderTLSServerName, ca, cert, key)
}

// newJoinTarget builds a target from PEM material (any may be empty).
func newJoinTarget(addr, serverName string, ca, cert, key []byte) (*joinTarget, error) {
	if err := config.CheckRetryJoin(&config.RetryJoin{LeaderAPIAddr: addr}); err != nil {
		return nil, err
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if len(ca) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, errors.New("leader CA certificate: no PEM certificate")
		}
		tc.RootCAs = pool
	}
	if len(cert) > 0 || len(key) > 0 {
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("leader client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
	return &joinTarget{addr: addr, client: client}, nil
}

// postJSON posts body to base/v1/path and decodes the envelope's data into out.
func postJSON(ctx context.Context, client *http.Client, base, path string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+"/v1/"+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Errors []string `json:"errors"`
		}
		_ = json.Unmarshal(data, &e)
		return fmt.Errorf("%s: %d %s", path, resp.StatusCode, strings.Join(e.Errors, "; "))
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return json.Unmarshal(env.Data, out)
}

// serveJoin answers POST sys/storage/raft/join on this node: it asks the
// named member for a challenge (and with retry, keeps asking) and reports
// whether one came. The node then waits for its unseal.
func (j *joiner) serveJoin(w http.ResponseWriter, r *http.Request) {
	var body struct {
		LeaderAPIAddr    string `json:"leader_api_addr"`
		LeaderCACert     string `json:"leader_ca_cert"`
		LeaderClientCert string `json:"leader_client_cert"`
		LeaderClientKey  string `json:"leader_client_key"`
		Retry            bool   `json:"retry"`
		NonVoter         bool   `json:"non_voter"`
		AutoJoin         string `json:"auto_join"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		writeErr(w, http.StatusBadRequest, "invalid request body: "+err.Error())
		return
	}
	switch {
	case body.NonVoter:
		writeErr(w, http.StatusBadRequest, "non_voter is not supported: every member votes")
		return
	case body.AutoJoin != "":
		writeErr(w, http.StatusBadRequest, "auto_join is not supported: name the leader in leader_api_addr")
		return
	}
	t, err := newJoinTarget(body.LeaderAPIAddr, "", []byte(body.LeaderCACert), []byte(body.LeaderClientCert), []byte(body.LeaderClientKey))
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	if j.member(r.Context()) {
		writeErr(w, http.StatusBadRequest, "node is already a member of a raft cluster")
		return
	}
	if err := j.try(r.Context(), t); err != nil {
		if !body.Retry {
			writeErr(w, http.StatusInternalServerError, "failed to join raft cluster: "+err.Error())
			return
		}
		j.add(t)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"joined": true})
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []string{msg}})
}
