package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hraft "github.com/hashicorp/raft"

	"github.com/vaultd/vaultd/cluster"
	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/core"
	"github.com/vaultd/vaultd/server"
	raftstore "github.com/vaultd/vaultd/storage/raft"
)

// raftNode is the HA half of a node on storage "raft": the Raft backend,
// the cluster port, the server for forwarded requests and the joiner.
type raftNode struct {
	conf    *config.Config
	logger  *slog.Logger
	backend *raftstore.Backend
	layer   *cluster.Layer
	fwd     *http.Server
	joiner  atomic.Pointer[joiner]

	wg sync.WaitGroup
}

// openRaft starts the cluster port and the Raft backend. The node takes
// part in Raft traffic only once it holds the cluster key pair (after
// unseal or join).
func openRaft(conf *config.Config, logger *slog.Logger) (*raftNode, error) {
	s := conf.Storage
	path := filepath.Clean(s.Path)
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("storage \"raft\": %w", err)
	}
	nodeID := ""
	if s.Raft != nil {
		nodeID = s.Raft.NodeID
	}
	if nodeID == "" {
		// As Vault: the environment may name the node (the chart sets the
		// pod's name here).
		nodeID = os.Getenv("VAULT_RAFT_NODE_ID")
	}
	if nodeID == "" {
		id, err := storedNodeID(path)
		if err != nil {
			return nil, err
		}
		nodeID = id
	}
	advertise := conf.ClusterHostPort()
	layer, err := cluster.Listen(bindAddr(advertise), advertise, logger.With("component", "cluster"))
	if err != nil {
		return nil, err
	}
	tr := hraft.NewNetworkTransport(layer.Raft(), 3, 10*time.Second, raftstore.LogWriter(logger))
	mult := 0
	if s.Raft != nil {
		mult = s.Raft.PerformanceMultiplier
	}
	b, err := raftstore.Open(raftstore.Config{
		Path: path, NodeID: nodeID, Transport: tr, PerformanceMultiplier: mult, Logger: logger,
	})
	if err != nil {
		_ = tr.Close()
		return nil, fmt.Errorf("open storage at %s: %w", path, err)
	}
	rn := &raftNode{conf: conf, logger: logger, backend: b, layer: layer}
	return rn, nil
}

// bindAddr is where the cluster port listens: cluster_addr's own IP when it
// names one, every interface on its port when it names a host.
func bindAddr(advertise string) string {
	host, port, err := net.SplitHostPort(advertise)
	if err != nil {
		return advertise
	}
	if net.ParseIP(host) != nil {
		return advertise
	}
	return net.JoinHostPort("", port)
}

// storedNodeID reads the node ID kept in the data directory, making one
// the first time.
func storedNodeID(dir string) (string, error) {
	file := filepath.Join(dir, "node-id")
	if b, err := os.ReadFile(file); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read node id: %w", err)
	}
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	id := "node-" + hex.EncodeToString(raw[:])
	if err := os.WriteFile(file, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write node id: %w", err)
	}
	return id, nil
}

// hooks hands the barrier's cluster key pair to the cluster port.
func (rn *raftNode) hooks() core.ClusterHooks { return clusterHooks{rn.layer} }

type clusterHooks struct{ layer *cluster.Layer }

func (h clusterHooks) Generate() ([]byte, error) {
	t, err := cluster.GenerateTLS(time.Now())
	if err != nil {
		return nil, err
	}
	return t.Marshal()
}

func (h clusterHooks) Install(blob []byte) error {
	t, err := cluster.UnmarshalTLS(blob)
	if err != nil {
		return err
	}
	return h.layer.SetTLS(t)
}

func (h clusterHooks) Clear() { h.layer.ClearTLS() }

// start serves forwarded requests with handler and starts the joiner.
func (rn *raftNode) start(c *core.Core, handler http.Handler) {
	rn.fwd = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	rn.wg.Add(1)
	go func() {
		defer rn.wg.Done()
		if err := rn.fwd.Serve(rn.layer.Forward()); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			rn.logger.Warn("forwarded-request server stopped", "error", err)
		}
	}()
	j := newJoiner(rn, c)
	rn.joiner.Store(j)
	j.start()
}

// stop ends the joiner and the forwarded-request server; the Raft backend
// (and with it the cluster port) is closed by the core's shutdown.
func (rn *raftNode) stop(ctx context.Context) error {
	if j := rn.joiner.Load(); j != nil {
		j.stop()
	}
	var err error
	if rn.fwd != nil {
		err = rn.fwd.Shutdown(ctx)
	}
	rn.wg.Wait()
	return err
}

// forwardDial is the server's way to the active node, nil without Raft.
func (n *Node) forwardDial() server.ForwardDialer {
	if n.raft == nil {
		return nil
	}
	return n.raft.layer.DialForward
}

// raftJoinHandler serves sys/storage/raft/join, nil without Raft.
func (n *Node) raftJoinHandler() http.Handler {
	if n.raft == nil {
		return nil
	}
	rn := n.raft
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j := rn.joiner.Load()
		if j == nil {
			writeErr(w, http.StatusServiceUnavailable, "node is starting")
			return
		}
		j.serveJoin(w, r)
	})
}
