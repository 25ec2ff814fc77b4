package core

import (
	"context"

	"github.com/vaultd/vaultd/logical"
)

// operatorRoutes gathers the sys/ paths added for operators: key rotation
// config, tools, host info, lease upkeep, metrics and quotas.
func (b *sysBackend) operatorRoutes() []sysRoute {
	var r []sysRoute
	r = append(r, b.rotateRoutes()...)
	r = append(r, b.toolRoutes()...)
	r = append(r, b.hostInfoRoutes()...)
	r = append(r, b.leaseOpsRoutes()...)
	r = append(r, b.quotaRoutes()...)
	// sys/metrics is rendered by the server; this route is what its ACL
	// check (and audit entry) runs through.
	r = append(r, sysPath(`metrics`, map[logical.Operation]sysHandler{
		logical.ReadOperation: func(context.Context, *logical.Request, []string) (*logical.Response, error) { return nil, nil },
	}))
	return r
}
