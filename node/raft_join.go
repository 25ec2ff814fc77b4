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
	leaders []*config.RetryJoin
	kick    chan struct{}
	offered time.Time

	cancel context.CancelFunc
	done   chan struct{}
}

func newJoiner(rn *raftNode, c *core.Core) *joiner {
	j := &joiner{rn: rn, core: c, kick: make(chan struct{}, 1), done: make(chan struct{})}
	if r := rn.conf.Storage.Raft; r != nil {
		j.leaders = append(j.leaders, r.RetryJoin...)
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
func (j *joiner) add(rj *config.RetryJoin) {
	j.mu.Lock()
	j.leaders = append([]*config.RetryJoin{rj}, j.leaders...)
	j.offered = time.Time{}
	j.mu.Unlock()
	select {
	case j.kick <- struct{}{}:
	default:
	}
}

func (j *joiner) tryAll(ctx context.Context) error {
	j.mu.Lock()
	leaders := append([]*config.RetryJoin(nil), j.leaders...)
	j.mu.Unlock()
	var errs []error
	for _, rj := range leaders {
		err := j.try(ctx, rj)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", rj.LeaderAPIAddr, err))
	}
	return errors.Join(errs...)
}

// challengeData is the data of a bootstrap/challenge answer.
type challengeData struct {
	Challenge  []byte              `json:"challenge"`
	RootKey    []byte              `json:"root_key"`
	SealConfig core.JoinSealConfig `json:"seal_config"`
}

func (j *joiner) try(ctx context.Context, rj *config.RetryJoin) error {
	client, err := joinClient(rj)
	if err != nil {
		return err
	}
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

// joinClient is the HTTP client for one retry_join target: its CA, server
// name and client certificate.
func joinClient(rj *config.RetryJoin) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: rj.LeaderTLSServerName}
	if rj.LeaderCACertFile != "" {
		pem, err := os.ReadFile(rj.LeaderCACertFile)
		if err != nil {
			return nil, fmt.Errorf("leader_ca_cert_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("leader_ca_cert_file %s: no PEM certificate", rj.LeaderCACertFile)
		}
		tc.RootCAs = pool
	}
	if rj.LeaderClientCertFile != "" {
		pair, err := tls.LoadX509KeyPair(rj.LeaderClientCertFile, rj.LeaderClientKeyFile)
		if err != nil {
			return nil, fmt.Errorf("leader client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}, nil
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

// serveJoin answers POST sys/storage/raft/join on this node: it starts
// asking the named member for a challenge and reports whether one came.
func (j *joiner) serveJoin(w http.ResponseWriter, r *http.Request) {
	var body struct {
		LeaderAPIAddr       string `json:"leader_api_addr"`
		LeaderCACert        string `json:"leader_ca_cert"`
		LeaderTLSServerName string `json:"leader_tls_servername"`
		Retry               bool   `json:"retry"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		writeErr(w, http.StatusBadRequest, "invalid request body: "+err.Error())
		return
	}
	rj := &config.RetryJoin{LeaderAPIAddr: body.LeaderAPIAddr, LeaderTLSServerName: body.LeaderTLSServerName}
	if err := config.CheckRetryJoin(rj); err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	if body.LeaderCACert != "" {
		f, err := os.CreateTemp(j.rn.conf.Storage.Path, "leader-ca-*.pem")
		if err != nil {
			writeErr(w, http.StatusInternalServerError, "internal error")
			return
		}
		_, _ = f.WriteString(body.LeaderCACert)
		_ = f.Close()
		rj.LeaderCACertFile = f.Name()
	}
	if j.member(r.Context()) {
		writeErr(w, http.StatusBadRequest, "node is already a member of a raft cluster")
		return
	}
	if err := j.try(r.Context(), rj); err != nil {
		if !body.Retry {
			writeErr(w, http.StatusInternalServerError, "failed to join raft cluster: "+err.Error())
			return
		}
		j.add(rj)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"joined": true})
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []string{msg}})
}
