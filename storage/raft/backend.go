package raft

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	hraft "github.com/hashicorp/raft"

	"github.com/vaultd/vaultd/storage"
)

// ErrNotLeader is returned by writes on a node that is not the Raft leader.
var ErrNotLeader = errors.New("raft: this node is not the leader")

// Defaults for the zero values of Config.
const (
	DefaultApplyTimeout = 10 * time.Second
	// DefaultPerformanceMultiplier scales Raft's timers as Vault's default
	// of 5 does: tolerant of busy machines, slower to notice a dead leader.
	DefaultPerformanceMultiplier = 5
	fsmFileName                  = "vaultd.db"
)

// Config describes one node.
type Config struct {
	// Path is the node's data directory; created 0700 when missing.
	Path string
	// NodeID names the node in the cluster; unique and stable.
	NodeID string
	// Transport carries Raft's RPCs. NewTransport builds the TLS one.
	Transport hraft.Transport
	// PerformanceMultiplier scales heartbeat and election timeouts
	// (1 is the fastest; DefaultPerformanceMultiplier when zero).
	PerformanceMultiplier int
	// SnapshotThreshold is how many log entries trigger a snapshot
	// (Raft's default of 8192 when zero).
	SnapshotThreshold uint64
	// TrailingLogs is how many entries stay after a snapshot (Raft's
	// default of 10240 when zero).
	TrailingLogs uint64
	// ApplyTimeout bounds one write's wait for a quorum.
	ApplyTimeout time.Duration
	// Logger receives Raft's own log lines; discarded when nil.
	Logger *slog.Logger
}

// Backend is a storage.Backend replicated by Raft.
type Backend struct {
	conf   Config
	raft   *hraft.Raft
	fsm    *fsm
	logs   *logStore
	snaps  *hraft.FileSnapshotStore
	closed atomic.Bool
}

var _ storage.Backend = (*Backend)(nil)

// Open starts the node. A node with no Raft state yet is not part of any
// cluster until Bootstrap (the first node) or a leader adds it.
func Open(conf Config) (*Backend, error) {
	if conf.NodeID == "" {
		return nil, errors.New("raft: node_id is required")
	}
	if conf.Transport == nil {
		return nil, errors.New("raft: a transport is required")
	}
	raftDir := filepath.Join(conf.Path, "raft")
	if err := os.MkdirAll(filepath.Join(raftDir, "snapshots"), 0o700); err != nil {
		return nil, fmt.Errorf("raft: %w", err)
	}
	b := &Backend{conf: conf}
	var err error
	if b.logs, err = openLogStore(filepath.Join(raftDir, "raft.db")); err != nil {
		return nil, err
	}
	if b.fsm, err = openFSM(filepath.Join(conf.Path, fsmFileName)); err != nil {
		_ = b.logs.Close()
		return nil, err
	}
	logOut := hclogOutput(conf.Logger)
	if b.snaps, err = hraft.NewFileSnapshotStore(raftDir, 2, logOut); err != nil {
		b.closeStores()
		return nil, fmt.Errorf("raft: snapshot store: %w", err)
	}
	if b.raft, err = hraft.NewRaft(b.raftConfig(), b.fsm, b.logs, b.logs, b.snaps, conf.Transport); err != nil {
		b.closeStores()
		return nil, fmt.Errorf("raft: start: %w", err)
	}
	return b, nil
}

func (b *Backend) raftConfig() *hraft.Config {
	rc := hraft.DefaultConfig()
	rc.LocalID = hraft.ServerID(b.conf.NodeID)
	m := b.conf.PerformanceMultiplier
	if m <= 0 {
		m = DefaultPerformanceMultiplier
	}
	rc.HeartbeatTimeout = rc.HeartbeatTimeout * time.Duration(m)
	rc.ElectionTimeout = rc.ElectionTimeout * time.Duration(m)
	rc.LeaderLeaseTimeout = rc.LeaderLeaseTimeout * time.Duration(m)
	rc.BatchApplyCh = true
	if b.conf.SnapshotThreshold > 0 {
		rc.SnapshotThreshold = b.conf.SnapshotThreshold
	}
	if b.conf.TrailingLogs > 0 {
		rc.TrailingLogs = b.conf.TrailingLogs
	}
	rc.LogOutput = hclogOutput(b.conf.Logger)
	rc.LogLevel = "INFO"
	return rc
}

func (b *Backend) closeStores() {
	_ = b.fsm.close()
	_ = b.logs.Close()
}

// HasState reports whether this node has ever been part of a cluster.
func (b *Backend) HasState() (bool, error) {
	return hraft.HasExistingState(b.logs, b.logs, b.snaps)
}

// Bootstrap makes this node a cluster of one, the leader once elected. It
// is what `operator init` does on the first node; a node with state refuses.
func (b *Backend) Bootstrap() error {
	conf := hraft.Configuration{Servers: []hraft.Server{{
		Suffrage: hraft.Voter,
		ID:       hraft.ServerID(b.conf.NodeID),
		Address:  b.conf.Transport.LocalAddr(),
	}}}
	if err := b.raft.BootstrapCluster(conf).Error(); err != nil {
		return fmt.Errorf("raft: bootstrap: %w", err)
	}
	return nil
}

// WaitLeader waits until the cluster has a leader and this node's FSM has
// applied everything the leader had committed when it was elected (on the
// leader itself, through a Barrier).
func (b *Backend) WaitLeader(ctx context.Context) error {
	for {
		if addr, _ := b.raft.LeaderWithID(); addr != "" {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("raft: no leader: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if b.IsLeader() {
		return b.raft.Barrier(b.applyTimeout()).Error()
	}
	return nil
}

// IsLeader reports whether this node is the leader now.
func (b *Backend) IsLeader() bool { return b.raft.State() == hraft.Leader }

// VerifyLeader asks a quorum whether this node is still the leader: a node
// that was paused or cut off learns here that it has been replaced.
func (b *Backend) VerifyLeader() error { return b.raft.VerifyLeader().Error() }

// LeaderCh reports leadership changes of this node (true on gaining it).
func (b *Backend) LeaderCh() <-chan bool { return b.raft.LeaderCh() }

// Leader is the current leader's ID and Raft address, empty when unknown.
func (b *Backend) Leader() (id, addr string) {
	a, i := b.raft.LeaderWithID()
	return string(i), string(a)
}

// Indexes are the Raft commit and applied indexes of this node.
func (b *Backend) Indexes() (committed, applied uint64) {
	return b.raft.CommitIndex(), b.fsm.applied.Load()
}

// Server is one member of the cluster configuration.
type Server struct {
	NodeID  string `json:"node_id"`
	Address string `json:"address"`
	Leader  bool   `json:"leader"`
	Voter   bool   `json:"voter"`
}

// Configuration lists the cluster's members.
func (b *Backend) Configuration() ([]Server, error) {
	f := b.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("raft: configuration: %w", err)
	}
	leaderID, _ := b.Leader()
	var out []Server
	for _, s := range f.Configuration().Servers {
		out = append(out, Server{
			NodeID:  string(s.ID),
			Address: string(s.Address),
			Leader:  string(s.ID) == leaderID,
			Voter:   s.Suffrage == hraft.Voter,
		})
	}
	return out, nil
}

// AddVoter adds (or updates) a voting member; leader only.
func (b *Backend) AddVoter(id, addr string) error {
	if err := b.raft.AddVoter(hraft.ServerID(id), hraft.ServerAddress(addr), 0, b.applyTimeout()).Error(); err != nil {
		return b.leaderErr("add peer", err)
	}
	return nil
}

// RemovePeer removes a member; leader only.
func (b *Backend) RemovePeer(id string) error {
	if err := b.raft.RemoveServer(hraft.ServerID(id), 0, b.applyTimeout()).Error(); err != nil {
		return b.leaderErr("remove peer", err)
	}
	return nil
}

// StepDown hands leadership to another voter.
func (b *Backend) StepDown() error {
	if err := b.raft.LeadershipTransfer().Error(); err != nil {
		return b.leaderErr("step down", err)
	}
	return nil
}

// SaveSnapshot writes a snapshot of the FSM to w: Raft's own snapshot,
// taken now, so a restore on any cluster brings back exactly this state.
func (b *Backend) SaveSnapshot(w io.Writer) error {
	f := b.raft.Snapshot()
	if err := f.Error(); err != nil {
		return b.leaderErr("snapshot", err)
	}
	_, rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("raft: open snapshot: %w", err)
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		return fmt.Errorf("raft: stream snapshot: %w", err)
	}
	return nil
}

// RestoreSnapshot replaces the cluster's state with a snapshot made by
// SaveSnapshot; leader only. Every node ends with the snapshot's data. The
// snapshot is spooled to a file first, since Raft needs its size.
func (b *Backend) RestoreSnapshot(r io.Reader) error {
	spool, err := os.CreateTemp(b.conf.Path, "restore-*.snap")
	if err != nil {
		return fmt.Errorf("raft: restore: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	size, err := io.Copy(spool, r)
	if err != nil {
		return fmt.Errorf("raft: restore: read snapshot: %w", err)
	}
	// Raft panics when the FSM refuses a user snapshot, so refuse a bad
	// one here, before Raft sees it.
	if err := checkSnapshotFile(spool.Name()); err != nil {
		return err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("raft: restore: %w", err)
	}
	meta := &hraft.SnapshotMeta{Version: hraft.SnapshotVersionMax, Size: size}
	if err := b.raft.Restore(meta, spool, 0); err != nil {
		return b.leaderErr("restore", err)
	}
	return nil
}

func (b *Backend) leaderErr(what string, err error) error {
	if errors.Is(err, hraft.ErrNotLeader) || errors.Is(err, hraft.ErrLeadershipLost) {
		return fmt.Errorf("raft: %s: %w", what, ErrNotLeader)
	}
	return fmt.Errorf("raft: %s: %w", what, err)
}

func (b *Backend) applyTimeout() time.Duration {
	if b.conf.ApplyTimeout > 0 {
		return b.conf.ApplyTimeout
	}
	return DefaultApplyTimeout
}

// Get reads the local FSM.
func (b *Backend) Get(ctx context.Context, key string) (*storage.Entry, error) {
	if err := b.check(ctx, key); err != nil {
		return nil, err
	}
	return b.fsm.get(key)
}

// List reads the local FSM.
func (b *Backend) List(ctx context.Context, prefix string) ([]string, error) {
	if b.closed.Load() {
		return nil, storage.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return b.fsm.list(ctx, prefix)
}

// Put writes one entry through the log.
func (b *Backend) Put(ctx context.Context, e *storage.Entry) error {
	if e == nil {
		return fmt.Errorf("%w: nil entry", storage.ErrInvalidKey)
	}
	return b.Commit(ctx, []storage.Op{{Key: e.Key, Value: e.Value}})
}

// Delete removes one key through the log.
func (b *Backend) Delete(ctx context.Context, key string) error {
	return b.Commit(ctx, []storage.Op{{Key: key, Delete: true}})
}

// Commit applies every op or none as one log entry, acknowledged once a
// quorum holds it and the local FSM has applied it.
func (b *Backend) Commit(ctx context.Context, ops []storage.Op) error {
	if b.closed.Load() {
		return storage.ErrClosed
	}
	for _, op := range ops {
		if err := storage.ValidateKey(op.Key); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(ops) == 0 {
		return nil
	}
	f := b.raft.Apply(encodeOps(ops), b.applyTimeout())
	if err := f.Error(); err != nil {
		return b.leaderErr("write", err)
	}
	if err, _ := f.Response().(error); err != nil {
		return err
	}
	return nil
}

func (b *Backend) check(ctx context.Context, key string) error {
	if b.closed.Load() {
		return storage.ErrClosed
	}
	if err := storage.ValidateKey(key); err != nil {
		return err
	}
	return ctx.Err()
}

// Close shuts Raft down and closes the files.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	err := b.raft.Shutdown().Error()
	b.closeStores()
	if closer, ok := b.conf.Transport.(io.Closer); ok {
		_ = closer.Close()
	}
	if err != nil {
		return fmt.Errorf("raft: shutdown: %w", err)
	}
	return nil
}

// NodeID is this node's ID.
func (b *Backend) NodeID() string { return b.conf.NodeID }

// LocalAddr is this node's Raft address (its cluster host:port).
func (b *Backend) LocalAddr() string { return string(b.conf.Transport.LocalAddr()) }

// HeartbeatTimeout is Raft's heartbeat timeout after the multiplier: a
// leader verified by a quorum keeps its lease at least this long.
func (b *Backend) HeartbeatTimeout() time.Duration { return b.raftConfig().HeartbeatTimeout }

// Dir is the node's data directory, where snapshots are spooled.
func (b *Backend) Dir() string { return b.conf.Path }
