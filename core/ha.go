package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
	raftstore "github.com/vaultd/vaultd/storage/raft"
)

// Keys inside the barrier that only HA uses.
const (
	clusterTLSKey = "core/cluster/tls"
	leaderKey     = "core/ha/leader"
	haNodesPrefix = "core/ha/nodes/"
)

// errNotActive answers a request that reached a node that is not (or no
// longer) the active one; clients retry it. The wording is Vault's.
var errNotActive = logical.CodedErrorf(http.StatusInternalServerError, "local node not active but active cluster node not found")

// errSealStandby answers sys/seal on a standby, in Vault's words: it has
// no token store to check the caller with.
var errSealStandby = logical.CodedErrorf(http.StatusInternalServerError, "vault cannot seal when in standby mode; please restart instead")

// ClusterHooks is how core hands the cluster key pair, kept inside the
// barrier, to the cluster port (package cluster, wired by node/).
type ClusterHooks interface {
	// Generate makes a new key pair, encoded for storage.
	Generate() ([]byte, error)
	// Install starts cluster traffic with a stored key pair.
	Install(blob []byte) error
	// Clear stops cluster traffic (at seal).
	Clear()
}

// ha is the state of a Core on Raft: active while it is the Raft leader,
// standby otherwise. Fields marked stateLock are guarded by Core.stateLock.
type ha struct {
	raft  *raftstore.Backend
	hooks ClusterHooks

	// open is whether the barrier is unsealed (stateLock).
	open bool
	// activeSince is when this node last became active (stateLock).
	activeSince time.Time

	loopMu   sync.Mutex
	loopStop chan struct{}
	loopDone chan struct{}

	// verifyMu serialises leadership checks; verifiedAt is when a quorum
	// last confirmed this node's leadership.
	verifyMu   sync.Mutex
	verifiedAt time.Time

	// holdUntil keeps a node that stepped down from taking the active role
	// again while Raft hands leadership over.
	holdMu    sync.Mutex
	holdUntil time.Time

	join joinState
}

func newHA(conf Config) *ha {
	if conf.Raft == nil {
		return nil
	}
	return &ha{raft: conf.Raft, hooks: conf.Cluster, join: joinState{challenges: map[string]pendingChallenge{}}}
}

// HAEnabled reports whether the core runs on Raft.
func (c *Core) HAEnabled() bool { return c.ha != nil }

// Standby reports whether the core is unsealed but not the active node:
// the server forwards its requests to the active node. It is cheap.
func (c *Core) Standby() bool {
	if c.ha == nil {
		return false
	}
	c.stateLock.RLock()
	defer c.stateLock.RUnlock()
	return c.ha.open && c.state == nil
}

// haBootstrap makes a node with no Raft state a cluster of one and waits
// until it leads it: init on Raft needs nothing more.
func (c *Core) haBootstrap(ctx context.Context) error {
	has, err := c.ha.raft.HasState()
	if err != nil {
		return err
	}
	if !has {
		if err := c.ha.raft.Bootstrap(); err != nil {
			return err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := c.ha.raft.WaitLeader(wctx); err != nil {
		return err
	}
	if !c.ha.raft.IsLeader() {
		return logical.InvalidRequest("this node is a member of a Raft cluster that another node leads; initialise through the active node")
	}
	return nil
}

// storeClusterTLS makes the cluster key pair at init, inside the barrier.
func (c *Core) storeClusterTLS(ctx context.Context) error {
	if c.ha.hooks == nil {
		return nil
	}
	blob, err := c.ha.hooks.Generate()
	if err != nil {
		return err
	}
	if err := c.barrier.Put(ctx, &storage.Entry{Key: clusterTLSKey, Value: blob}); err != nil {
		return fmt.Errorf("store cluster key pair: %w", err)
	}
	return nil
}

// haOpen runs once the barrier is unsealed on Raft (stateLock held): the
// cluster key pair is installed and the active/standby loop started. The
// node is a standby until the loop sees it lead.
func (c *Core) haOpen(ctx context.Context) error {
	if c.ha.hooks != nil {
		e, err := c.barrier.Get(ctx, clusterTLSKey)
		if err != nil {
			return fmt.Errorf("read cluster key pair: %w", err)
		}
		if e == nil {
			return errors.New("the cluster key pair is missing from the barrier")
		}
		if err := c.ha.hooks.Install(e.Value); err != nil {
			return err
		}
	}
	c.ha.open = true
	c.ha.loopMu.Lock()
	stop, done := make(chan struct{}), make(chan struct{})
	c.ha.loopStop, c.ha.loopDone = stop, done
	c.ha.loopMu.Unlock()
	go c.haLoop(stop, done)
	c.logger.Info("vault unsealed; standing by until this node leads the Raft cluster")
	return nil
}

// haStopLoop ends the active/standby loop and waits for it; called before
// sealing, without stateLock.
func (c *Core) haStopLoop() {
	c.ha.loopMu.Lock()
	stop, done := c.ha.loopStop, c.ha.loopDone
	c.ha.loopStop, c.ha.loopDone = nil, nil
	c.ha.loopMu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	<-done
}

// haClose runs at seal (stateLock held).
func (c *Core) haClose() {
	c.ha.open = false
	if c.ha.hooks != nil {
		c.ha.hooks.Clear()
	}
}

const haPoll = 100 * time.Millisecond

// haLoop follows Raft leadership: the leader becomes active, anyone else
// stands by. It polls as well as listening, since Raft's leadership
// channel may coalesce changes.
func (c *Core) haLoop(stop, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(haPoll)
	defer tick.Stop()
	leaderCh := c.ha.raft.LeaderCh()
	for {
		c.haStep(stop)
		select {
		case <-stop:
			c.becomeStandby("sealing")
			return
		case <-leaderCh:
		case <-tick.C:
		}
	}
}

func (c *Core) haStep(stop chan struct{}) {
	leader := c.ha.raft.IsLeader()
	c.stateLock.RLock()
	active := c.state != nil
	c.stateLock.RUnlock()
	switch {
	case leader && !active && !c.held():
		c.becomeActive(stop)
	case !leader && active:
		c.becomeStandby("lost Raft leadership")
	}
	if !leader {
		c.ha.holdMu.Lock()
		c.ha.holdUntil = time.Time{}
		c.ha.holdMu.Unlock()
	}
}

func (c *Core) held() bool {
	c.ha.holdMu.Lock()
	defer c.ha.holdMu.Unlock()
	return time.Now().Before(c.ha.holdUntil)
}

// becomeActive loads everything an active node runs: mounts, policies,
// tokens, leases, audit devices, after this node's store has applied all
// the old leader committed.
func (c *Core) becomeActive(stop chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := c.ha.raft.WaitLeader(ctx); err != nil {
		c.logger.Warn("cannot become active: Raft barrier failed", "error", err)
		return
	}
	if err := c.barrier.ReloadKeyring(ctx); err != nil {
		// The stored keyring is not the one this node's root key opens: a
		// snapshot from another cluster was restored. Seal, so that the
		// operator unseals with that cluster's shares.
		c.logger.Warn("cannot become active: the stored keyring does not open with this node's keys; sealing", "error", err)
		go func() { _ = c.sealNow(context.Background()) }()
		return
	}
	c.stateLock.Lock()
	defer c.stateLock.Unlock()
	if !c.ha.open || c.state != nil {
		return
	}
	st, err := c.buildUnsealed(ctx)
	if err != nil {
		c.logger.Warn("cannot become active", "error", err)
		return
	}
	now := time.Now()
	c.state, c.ha.activeSince = st, now
	c.ha.verifyMu.Lock()
	c.ha.verifiedAt = now
	c.ha.verifyMu.Unlock()
	if err := c.writeLeaderRecord(ctx, now); err != nil {
		c.logger.Warn("cannot record the active node", "error", err)
	}
	c.logger.Info("this node is now the active node")
}

// becomeStandby stops the mounts, the lease manager and the audit devices
// and drops every cache: a standby keeps no state and forwards.
func (c *Core) becomeStandby(why string) {
	c.stateLock.Lock()
	defer c.stateLock.Unlock()
	if c.state == nil {
		return
	}
	c.state.teardown(context.Background())
	c.state = nil
	c.logger.Info("this node is now a standby", "reason", why)
}

// checkActive confirms, at most once per lease window, that a quorum still
// follows this node. A leader that was paused (SIGSTOP) or cut off finds
// here that it was replaced, before it answers from stale state.
func (c *Core) checkActive() error {
	window := c.ha.raft.HeartbeatTimeout() / 4
	c.ha.verifyMu.Lock()
	defer c.ha.verifyMu.Unlock()
	if time.Since(c.ha.verifiedAt) < window {
		return nil
	}
	if err := c.ha.raft.VerifyLeader(); err != nil {
		go c.becomeStandby("a quorum no longer follows this node")
		return errNotActive
	}
	c.ha.verifiedAt = time.Now()
	return nil
}

// leaderRecord names the active node for standbys' sys/leader.
type leaderRecord struct {
	NodeID      string    `json:"node_id"`
	APIAddr     string    `json:"api_addr"`
	ClusterAddr string    `json:"cluster_addr"`
	ActiveTime  time.Time `json:"active_time"`
}

func (c *Core) writeLeaderRecord(ctx context.Context, now time.Time) error {
	rec := leaderRecord{NodeID: c.ha.raft.NodeID(), APIAddr: c.conf.APIAddr, ClusterAddr: c.conf.ClusterAddr, ActiveTime: now.UTC()}
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := c.barrier.Put(ctx, &storage.Entry{Key: leaderKey, Value: raw}); err != nil {
		return err
	}
	return c.writeNodeRecord(ctx, nodeRecord{NodeID: rec.NodeID, APIAddr: rec.APIAddr, ClusterAddr: rec.ClusterAddr})
}

// LeaderStatus is the answer of GET sys/leader on Raft.
type LeaderStatus struct {
	IsSelf               bool
	ActiveTime           time.Time
	LeaderAddress        string
	LeaderClusterAddress string
	RaftCommittedIndex   uint64
	RaftAppliedIndex     uint64
}

// LeaderStatus reports who is active. A standby reads the active node's
// record and trusts it only when Raft names the same leader.
func (c *Core) LeaderStatus(ctx context.Context) (*LeaderStatus, error) {
	if c.ha == nil {
		return nil, errors.New("core: not on Raft")
	}
	out := &LeaderStatus{}
	out.RaftCommittedIndex, out.RaftAppliedIndex = c.ha.raft.Indexes()
	c.stateLock.RLock()
	open, active, since := c.ha.open, c.state != nil, c.ha.activeSince
	c.stateLock.RUnlock()
	if !open {
		return out, nil
	}
	if active {
		out.IsSelf, out.ActiveTime = true, since.UTC()
		out.LeaderAddress, out.LeaderClusterAddress = c.conf.APIAddr, c.conf.ClusterAddr
		return out, nil
	}
	// A record this node cannot read (after a restore of another
	// cluster's snapshot, before this node is resealed) names no one.
	e, err := c.barrier.Get(ctx, leaderKey)
	if err != nil || e == nil {
		return out, nil
	}
	var rec leaderRecord
	if err := json.Unmarshal(e.Value, &rec); err != nil {
		return out, nil
	}
	if id, _ := c.ha.raft.Leader(); id != "" && id == rec.NodeID {
		out.ActiveTime, out.LeaderAddress, out.LeaderClusterAddress = rec.ActiveTime, rec.APIAddr, rec.ClusterAddr
	}
	return out, nil
}

// LeaderClusterAddr is the Raft address (cluster host:port) of the current
// leader, where a standby forwards; empty when none is known.
func (c *Core) LeaderClusterAddr() string {
	if c.ha == nil {
		return ""
	}
	_, addr := c.ha.raft.Leader()
	return addr
}

// stepDown gives up the active role and Raft leadership.
func (c *Core) stepDown() {
	c.ha.holdMu.Lock()
	c.ha.holdUntil = time.Now().Add(30 * time.Second)
	c.ha.holdMu.Unlock()
	c.becomeStandby("sys/step-down")
	if err := c.ha.raft.StepDown(); err != nil {
		c.logger.Warn("step-down: leadership transfer failed", "error", err)
		c.ha.holdMu.Lock()
		c.ha.holdUntil = time.Time{}
		c.ha.holdMu.Unlock()
	}
}

// waitSoleActive makes unseal on a cluster of one return once the node is
// active, as on a single-node store: it is the only node that can be.
// Members of larger clusters return at once, as standbys.
func (c *Core) waitSoleActive(ctx context.Context) {
	servers, err := c.ha.raft.Configuration()
	if err != nil || len(servers) != 1 || servers[0].NodeID != c.ha.raft.NodeID() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		c.stateLock.RLock()
		active := c.state != nil
		c.stateLock.RUnlock()
		if active {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}
