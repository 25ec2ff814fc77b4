package core

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vaultd/vaultd/barrier"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
)

// Joining a Raft cluster. The joining node asks a member for a challenge:
// a random nonce sealed under the cluster's root key, with the stored root
// key blob (sealed under the unseal key) and the seal configuration. The
// node then reports itself initialised and waits to be unsealed with the
// cluster's shares. The combined key opens the root key blob and so the
// challenge; the node sends the nonce back, and the active node, having
// compared it, adds the node as a voter and hands it the cluster key pair.
// Raft then replicates everything else, barrier ciphertext only.

const (
	challengeTTL   = 5 * time.Minute
	maxChallenges  = 64
	replicateWait  = 2 * time.Minute
	challengeBytes = 32
)

type pendingChallenge struct {
	nonce   []byte
	expires time.Time
}

// joinState is kept by both sides: challenges handed out (active node) and
// the offer this node holds while waiting for its unseal (joining node).
type joinState struct {
	mu         sync.Mutex
	challenges map[string]pendingChallenge
	offer      *JoinOffer
}

// JoinOffer is what a joining node got from a member's challenge.
type JoinOffer struct {
	SealConfig  JoinSealConfig
	RootKeyBlob []byte
	Challenge   []byte
	// Answer sends the opened challenge to the member and returns the
	// cluster key pair it answers with.
	Answer func(ctx context.Context, answer []byte) (clusterTLS []byte, err error)
}

// JoinSealConfig is the cluster's seal configuration, as the challenge
// answer carries it.
type JoinSealConfig struct {
	SecretShares    int    `json:"secret_shares"`
	SecretThreshold int    `json:"secret_threshold"`
	ClusterName     string `json:"cluster_name"`
	ClusterID       string `json:"cluster_id"`
}

// OfferJoin records a challenge for the next unseal. It is refused when the
// node already has a cluster of its own.
func (c *Core) OfferJoin(ctx context.Context, o *JoinOffer) error {
	if c.ha == nil {
		return logical.InvalidRequest("this node does not use raft storage")
	}
	if init, err := c.barrier.Initialized(ctx); err != nil {
		return err
	} else if init {
		return logical.InvalidRequest("this node is already initialized; it cannot join another cluster")
	}
	c.ha.join.mu.Lock()
	defer c.ha.join.mu.Unlock()
	c.ha.join.offer = o
	return nil
}

// JoinPending reports whether this node holds a join offer and waits to be
// unsealed.
func (c *Core) JoinPending() bool {
	if c.ha == nil {
		return false
	}
	c.ha.join.mu.Lock()
	defer c.ha.join.mu.Unlock()
	return c.ha.join.offer != nil
}

// offeredSealRecord is the seal configuration a pending join brought, or nil.
func (c *Core) offeredSealRecord() *sealRecord {
	if c.ha == nil {
		return nil
	}
	c.ha.join.mu.Lock()
	defer c.ha.join.mu.Unlock()
	o := c.ha.join.offer
	if o == nil {
		return nil
	}
	rec := &sealRecord{ClusterName: o.SealConfig.ClusterName, ClusterID: o.SealConfig.ClusterID}
	rec.Type = "shamir"
	rec.SecretShares, rec.SecretThreshold = o.SealConfig.SecretShares, o.SealConfig.SecretThreshold
	return rec
}

// completeJoin answers the pending challenge with the combined unseal key,
// installs the cluster key pair, and waits for Raft to bring the barrier's
// keys here. It does nothing when there is no offer or the node already
// holds the cluster's data.
func (c *Core) completeJoin(ctx context.Context, key []byte) error {
	c.ha.join.mu.Lock()
	o := c.ha.join.offer
	c.ha.join.mu.Unlock()
	if o == nil {
		return nil
	}
	if init, err := c.barrier.Initialized(ctx); err != nil || init {
		return err
	}
	answer, err := barrier.OpenChallenge(key, o.RootKeyBlob, o.Challenge)
	if err != nil {
		if errors.Is(err, barrier.ErrBadUnsealKey) {
			return logical.InvalidRequest("the given key shares did not unseal the vault: wrong or mismatched shares; unseal progress was reset")
		}
		return err
	}
	defer clear(answer)
	tlsBlob, err := o.Answer(ctx, answer)
	if err != nil {
		return fmt.Errorf("raft join: %w", err)
	}
	if c.ha.hooks != nil {
		if err := c.ha.hooks.Install(tlsBlob); err != nil {
			return err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, replicateWait)
	defer cancel()
	for {
		init, err := c.barrier.Initialized(wctx)
		if err != nil {
			return err
		}
		if e, _ := c.physical.Get(wctx, sealConfigKey); init && e != nil {
			if k, _ := c.physical.Get(wctx, barrier.KeyringPath); k != nil {
				break
			}
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("raft join: the cluster's data did not arrive: %w", wctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	c.ha.join.mu.Lock()
	c.ha.join.offer = nil
	c.ha.join.mu.Unlock()
	c.logger.Info("joined the raft cluster")
	return nil
}

// issueChallenge is the active node's side of bootstrap/challenge.
func (c *Core) issueChallenge(ctx context.Context, serverID string) (map[string]any, error) {
	nonce := make([]byte, challengeBytes)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	sealed, err := c.barrier.SealChallenge(nonce)
	if err != nil {
		return nil, err
	}
	rootBlob, err := c.barrier.RootKeyBlob(ctx)
	if err != nil {
		return nil, err
	}
	sc, err := c.sealConfig(ctx)
	if err != nil || sc == nil {
		return nil, fmt.Errorf("read seal configuration: %w", err)
	}
	j := &c.ha.join
	j.mu.Lock()
	now := time.Now()
	for id, p := range j.challenges {
		if now.After(p.expires) {
			delete(j.challenges, id)
		}
	}
	if _, again := j.challenges[serverID]; !again && len(j.challenges) >= maxChallenges {
		j.mu.Unlock()
		return nil, logical.CodedErrorf(429, "too many pending join challenges")
	}
	j.challenges[serverID] = pendingChallenge{nonce: nonce, expires: now.Add(challengeTTL)}
	j.mu.Unlock()
	return map[string]any{
		"challenge": sealed,
		"root_key":  rootBlob,
		"seal_config": JoinSealConfig{
			SecretShares: sc.SecretShares, SecretThreshold: sc.SecretThreshold,
			ClusterName: sc.ClusterName, ClusterID: sc.ClusterID,
		},
	}, nil
}

// acceptAnswer is the active node's side of bootstrap/answer: a right
// answer adds the node as a voter and returns the cluster key pair.
func (c *Core) acceptAnswer(ctx context.Context, serverID string, answer []byte, rec nodeRecord) ([]byte, error) {
	j := &c.ha.join
	j.mu.Lock()
	p, ok := j.challenges[serverID]
	if ok {
		delete(j.challenges, serverID) // one try per challenge
	}
	j.mu.Unlock()
	if !ok || time.Now().After(p.expires) {
		return nil, logical.InvalidRequest("no pending challenge for server_id %q: ask for a new one", serverID)
	}
	if subtle.ConstantTimeCompare(p.nonce, answer) != 1 {
		return nil, logical.InvalidRequest("invalid answer given")
	}
	e, err := c.barrier.Get(ctx, clusterTLSKey)
	if err != nil || e == nil {
		return nil, fmt.Errorf("read cluster key pair: %w", errors.Join(err, errors.New("missing")))
	}
	if err := c.writeNodeRecord(ctx, rec); err != nil {
		return nil, err
	}
	if err := c.ha.raft.AddVoter(serverID, rec.raftAddr); err != nil {
		return nil, err
	}
	c.logger.Info("raft: added a voter", "node_id", serverID, "address", rec.raftAddr)
	return e.Value, nil
}

// nodeRecord is what the cluster knows of a member beyond Raft.
type nodeRecord struct {
	NodeID      string `json:"node_id"`
	APIAddr     string `json:"api_addr"`
	ClusterAddr string `json:"cluster_addr"`
	raftAddr    string
}

func (c *Core) writeNodeRecord(ctx context.Context, rec nodeRecord) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return c.barrier.Put(ctx, &storage.Entry{Key: haNodesPrefix + rec.NodeID, Value: raw})
}

func (c *Core) readNodeRecord(ctx context.Context, id string) (*nodeRecord, error) {
	e, err := c.barrier.Get(ctx, haNodesPrefix+id)
	if err != nil || e == nil {
		return nil, err
	}
	var rec nodeRecord
	if err := json.Unmarshal(e.Value, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}
