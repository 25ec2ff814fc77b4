package node

import (
	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/server"
)

// serverLimits carries a listener's limits from its config to its server.
func serverLimits(l config.ListenerLimits) server.Limits {
	return server.Limits{
		ReadHeaderTimeout:        l.HTTPReadHeaderTimeout,
		ReadTimeout:              l.HTTPReadTimeout,
		WriteTimeout:             l.HTTPWriteTimeout,
		IdleTimeout:              l.HTTPIdleTimeout,
		MaxJSONDepth:             l.MaxJSONDepth,
		MaxJSONStringValueLength: l.MaxJSONStringValueLength,
		MaxJSONObjectEntryCount:  l.MaxJSONObjectEntryCount,
		MaxJSONArrayElementCount: l.MaxJSONArrayElementCount,
	}
}
