package server

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/vaultd/vaultd/core"
	"github.com/vaultd/vaultd/logical"
)

// raftCore is the rest of what the HA endpoints need; *core.Core has it.
type raftCore interface {
	LeaderStatus(ctx context.Context) (*core.LeaderStatus, error)
	SaveSnapshot(ctx context.Context, w io.Writer) error
	RestoreSnapshot(ctx context.Context, r io.Reader, force bool) error
}

// raftLeaderBody is sys/leader on Raft: Vault's fields plus the indexes.
type raftLeaderBody struct {
	leaderBody
	RaftCommittedIndex uint64 `json:"raft_committed_index"`
	RaftAppliedIndex   uint64 `json:"raft_applied_index"`
}

func (s *Server) raftLeader(w http.ResponseWriter, r *http.Request) bool {
	rc, ok := s.core.(raftCore)
	if s.ha == nil || !ok {
		return false
	}
	st, err := rc.LeaderStatus(r.Context())
	if err != nil {
		respondErr(w, err)
		return true
	}
	body := raftLeaderBody{
		leaderBody: leaderBody{
			HAEnabled: true, IsSelf: st.IsSelf, ActiveTime: zeroTime,
			LeaderAddress: st.LeaderAddress, LeaderClusterAddress: st.LeaderClusterAddress,
		},
		RaftCommittedIndex: st.RaftCommittedIndex,
		RaftAppliedIndex:   st.RaftAppliedIndex,
	}
	if !st.ActiveTime.IsZero() {
		body.ActiveTime = st.ActiveTime.UTC().Format(time.RFC3339Nano)
	}
	writeJSON(w, http.StatusOK, body)
	return true
}

// handleRaftJoin serves sys/storage/raft/join, which node/ answers.
func (s *Server) handleRaftJoin(w http.ResponseWriter, r *http.Request) {
	if s.raftJoin == nil {
		respondError(w, http.StatusBadRequest, "raft storage is not in use")
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		respondError(w, http.StatusMethodNotAllowed, "")
		return
	}
	s.raftJoin.ServeHTTP(w, r)
}

// handleSnapshot serves GET (save, streamed) and POST|PUT (restore) of
// sys/storage/raft/snapshot and snapshot-force. The request goes through
// the pipeline first, for the token, the ACL (sudo) and the audit log;
// then the bytes are streamed here.
func (s *Server) handleSnapshot(w http.ResponseWriter, r *http.Request) {
	rc, ok := s.core.(raftCore)
	if !ok {
		respondError(w, http.StatusBadRequest, "raft storage is not in use")
		return
	}
	path := logicalPath(r)
	op := logical.ReadOperation
	switch r.Method {
	case http.MethodGet:
		if path != pathSnapshot {
			respondError(w, http.StatusMethodNotAllowed, "")
			return
		}
	case http.MethodPost, http.MethodPut:
		op = logical.UpdateOperation
	default:
		respondError(w, http.StatusMethodNotAllowed, "")
		return
	}
	req := &logical.Request{ID: newRequestID(), Operation: op, Path: path, ClientToken: clientToken(r.Header), Headers: safeHeaders(r)}
	req.RemoteAddr, req.RemotePort = remoteAddr(r.RemoteAddr)
	if _, err := s.core.HandleRequest(r.Context(), req); err != nil {
		respondErr(w, err)
		return
	}
	if op == logical.ReadOperation {
		w.Header().Set("Content-Type", "application/gzip")
		if err := rc.SaveSnapshot(r.Context(), w); err != nil {
			s.logger.WarnContext(r.Context(), "snapshot save failed", "error", err)
			respondErr(w, err)
		}
		return
	}
	if err := rc.RestoreSnapshot(r.Context(), r.Body, path == pathSnapForce); err != nil {
		respondErr(w, err)
		return
	}
	respondNoContent(w)
}
