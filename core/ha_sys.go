package core

import (
	"context"
	"encoding/base64"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// haRoutes are the sys/ paths of HA and integrated storage. They exist on
// every core; without Raft they answer that HA is not enabled.
func (b *sysBackend) haRoutes() []sysRoute {
	return []sysRoute{
		sysPath(`storage/raft/bootstrap/challenge`, map[logical.Operation]sysHandler{logical.UpdateOperation: b.raftChallenge}),
		sysPath(`storage/raft/bootstrap/answer`, map[logical.Operation]sysHandler{logical.UpdateOperation: b.raftAnswer}),
		sysPath(`storage/raft/configuration`, map[logical.Operation]sysHandler{logical.ReadOperation: b.raftConfiguration}),
		sysPath(`storage/raft/remove-peer`, map[logical.Operation]sysHandler{logical.UpdateOperation: b.raftRemovePeer}),
		// The snapshot paths only authorise here; the HTTP layer streams.
		sysPath(`storage/raft/snapshot(-force)?`, map[logical.Operation]sysHandler{
			logical.ReadOperation: b.raftOnly, logical.UpdateOperation: b.raftOnly,
		}),
		sysPath(`step-down`, map[logical.Operation]sysHandler{logical.UpdateOperation: b.stepDown}),
		sysPath(`ha-status`, map[logical.Operation]sysHandler{logical.ReadOperation: b.haStatus}),
	}
}

// haUnauthenticated are the sys/ paths a joining node calls without a token.
var haUnauthenticated = []string{"storage/raft/bootstrap/challenge", "storage/raft/bootstrap/answer"}

var errNoRaft = logical.InvalidRequest("raft storage is not in use")

func (b *sysBackend) ha() (*Core, error) {
	if b.st.c.ha == nil {
		return nil, errNoRaft
	}
	return b.st.c, nil
}

func (b *sysBackend) raftOnly(context.Context, *logical.Request, []string) (*logical.Response, error) {
	_, err := b.ha()
	return nil, err
}

func stringField(req *logical.Request, name string) string {
	s, _ := req.Data[name].(string)
	return strings.TrimSpace(s)
}

func (b *sysBackend) raftChallenge(ctx context.Context, req *logical.Request, _ []string) (*logical.Response, error) {
	c, err := b.ha()
	if err != nil {
		return nil, err
	}
	id := stringField(req, "server_id")
	if id == "" || strings.ContainsAny(id, "/ ") {
		return nil, logical.InvalidRequest("missing or invalid server_id")
	}
	data, err := c.issueChallenge(ctx, id)
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: data}, nil
}

func (b *sysBackend) raftAnswer(ctx context.Context, req *logical.Request, _ []string) (*logical.Response, error) {
	c, err := b.ha()
	if err != nil {
		return nil, err
	}
	id := stringField(req, "server_id")
	if id == "" {
		return nil, logical.InvalidRequest("missing server_id")
	}
	answer, err := base64.StdEncoding.DecodeString(stringField(req, "answer"))
	if err != nil || len(answer) == 0 {
		return nil, logical.InvalidRequest("answer must be base64")
	}
	rec := nodeRecord{NodeID: id, APIAddr: stringField(req, "api_addr"), ClusterAddr: stringField(req, "cluster_addr")}
	u, err := url.Parse(rec.ClusterAddr)
	if err != nil || u.Host == "" {
		return nil, logical.InvalidRequest("cluster_addr must be a URL such as https://10.0.0.5:8201")
	}
	if _, _, err := net.SplitHostPort(u.Host); err != nil {
		return nil, logical.InvalidRequest("cluster_addr must name a port")
	}
	rec.raftAddr = u.Host
	tlsBlob, err := c.acceptAnswer(ctx, id, answer, rec)
	if err != nil {
		return nil, err
	}
	peers, err := c.ha.raft.Configuration()
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: map[string]any{"cluster_tls": tlsBlob, "peers": peers}}, nil
}

func (b *sysBackend) raftConfiguration(_ context.Context, _ *logical.Request, _ []string) (*logical.Response, error) {
	c, err := b.ha()
	if err != nil {
		return nil, err
	}
	servers, err := c.ha.raft.Configuration()
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, 0, len(servers))
	for _, s := range servers {
		list = append(list, map[string]any{
			"node_id": s.NodeID, "address": s.Address, "leader": s.Leader,
			"voter": s.Voter, "protocol_version": "3",
		})
	}
	committed, _ := c.ha.raft.Indexes()
	return &logical.Response{Data: map[string]any{"config": map[string]any{"servers": list, "index": committed}}}, nil
}

func (b *sysBackend) raftRemovePeer(_ context.Context, req *logical.Request, _ []string) (*logical.Response, error) {
	c, err := b.ha()
	if err != nil {
		return nil, err
	}
	id := stringField(req, "server_id")
	if id == "" {
		return nil, logical.InvalidRequest("missing server_id")
	}
	servers, err := c.ha.raft.Configuration()
	if err != nil {
		return nil, err
	}
	found := false
	for _, s := range servers {
		found = found || s.NodeID == id
	}
	if !found {
		return nil, logical.InvalidRequest("no peer with server_id %q", id)
	}
	if id == c.ha.raft.NodeID() {
		return nil, logical.InvalidRequest("the active node cannot remove itself: step down first")
	}
	if err := c.ha.raft.RemovePeer(id); err != nil {
		return nil, err
	}
	return nil, nil
}

func (b *sysBackend) stepDown(context.Context, *logical.Request, []string) (*logical.Response, error) {
	c, err := b.ha()
	if err != nil {
		return nil, err
	}
	// After the response: the step-down tears down the state this request
	// runs in.
	go c.stepDown()
	return nil, nil
}

func (b *sysBackend) haStatus(ctx context.Context, _ *logical.Request, _ []string) (*logical.Response, error) {
	c, err := b.ha()
	if err != nil {
		return nil, err
	}
	servers, err := c.ha.raft.Configuration()
	if err != nil {
		return nil, err
	}
	nodes := make([]map[string]any, 0, len(servers))
	for _, s := range servers {
		n := map[string]any{"hostname": s.NodeID, "active_node": s.Leader, "cluster_address": "https://" + s.Address, "api_address": ""}
		if rec, err := c.readNodeRecord(ctx, s.NodeID); err == nil && rec != nil {
			n["api_address"] = rec.APIAddr
			if rec.ClusterAddr != "" {
				n["cluster_address"] = rec.ClusterAddr
			}
		}
		if s.Leader {
			n["last_echo"] = nil
		} else {
			n["last_echo"] = time.Now().UTC().Format(time.RFC3339Nano)
		}
		nodes = append(nodes, n)
	}
	return &logical.Response{Data: map[string]any{"nodes": nodes}}, nil
}
