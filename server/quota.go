package server

import (
	"context"

	"github.com/vaultd/vaultd/core"
)

// QuotaCore is the part of the core that applies rate-limit quotas before
// a request enters the pipeline. *core.Core satisfies it; a Core that does
// not has no quotas.
type QuotaCore interface {
	CheckQuota(ctx context.Context, path, clientAddr string) error
}

var _ QuotaCore = (*core.Core)(nil)

// checkQuota asks the core whether the client may make one more request
// on path.
func (s *Server) checkQuota(ctx context.Context, path, clientAddr string) error {
	qc, ok := s.core.(QuotaCore)
	if !ok {
		return nil
	}
	return qc.CheckQuota(ctx, path, clientAddr)
}
