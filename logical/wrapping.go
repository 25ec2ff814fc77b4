package logical

import "time"

// ResponseWrappingPolicy is the one policy a response-wrapping token holds.
const ResponseWrappingPolicy = "response-wrapping"

// WrapInfo describes a response-wrapping token. On a Response that core
// has wrapped, every field is set and the client receives only this. An
// engine (sys/wrapping/rewrap) may set TTL and CreationPath alone to ask
// core to wrap its answer with them.
type WrapInfo struct {
	Token           string
	Accessor        string
	TTL             time.Duration
	CreationTime    time.Time
	CreationPath    string
	WrappedAccessor string
}
