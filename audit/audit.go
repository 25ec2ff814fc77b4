package audit

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// ErrAuditFailed is returned by the Broker when devices are enabled and not
// one of them could record an entry. Core answers such a request with a 500
// and never runs the engine (or never hands out the response).
var ErrAuditFailed = errors.New("no audit device succeeded in logging the entry")

// DeviceConfig is one audit device, as enabled through sys/audit/<path> or
// declared in the server config file.
type DeviceConfig struct {
	// Type is the device type name ("file").
	Type string `json:"type"`
	// Path is the device's mount path with a trailing slash ("file/").
	Path string `json:"path"`
	// Description is free text shown by GET sys/audit.
	Description string `json:"description"`
	// Local marks a device that is not replicated (kept for Vault
	// compatibility; vaultd does not replicate).
	Local bool `json:"local"`
	// Options are the device options: file_path, log_raw, hmac_accessor,
	// mode, format, prefix, elide_list_responses.
	Options map[string]string `json:"options"`
	// FromConfig marks a device declared in the server config file; it
	// cannot be disabled through the API.
	FromConfig bool `json:"-"`
}

// FactoryConfig is what a device factory receives.
type FactoryConfig struct {
	// Config is the device's configuration.
	Config DeviceConfig
	// Salt is the device's HMAC key, generated and kept in the barrier by
	// core. It must not be empty.
	Salt []byte
	// Logger receives the device's own logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock used when a LogInput carries no time; nil means
	// time.Now.
	Now func() time.Time
}

// Factory builds a device. Bad options, or a destination that cannot be
// opened, are a logical.CodedError with a 400 status; nothing is left
// behind when a factory fails.
type Factory func(ctx context.Context, conf *FactoryConfig) (Device, error)

// Device records audit entries somewhere. Implementations are safe for
// concurrent use and write each entry whole, with one write.
type Device interface {
	// LogRequest records the request entry of in.
	LogRequest(ctx context.Context, in *LogInput) error
	// LogResponse records the response entry of in.
	LogResponse(ctx context.Context, in *LogInput) error
	// Hash returns the HMAC of input as this device writes it:
	// "hmac-sha256:<hex>".
	Hash(ctx context.Context, input string) (string, error)
	// Reopen closes and reopens the destination (SIGHUP, for logrotate).
	Reopen() error
	// Close releases the destination; the device is unusable afterwards.
	Close() error
}

// LogInput is everything an audit entry is made from. Nothing in it is
// modified by a device: hashing works on copies.
type LogInput struct {
	// Time is when the entry happened; zero means the device's clock.
	Time time.Time
	// Auth describes the caller's token; nil on unauthenticated requests.
	Auth *logical.Auth
	// Request is the request. Its Path must be the full path, mount point
	// included ("secret/data/my-api"), as Vault's audit log shows it; core
	// passes a shallow copy with Path rewritten. MountPoint, MountType and
	// MountAccessor describe the mount it was routed to.
	Request *logical.Request
	// Response is the response, for LogResponse; nil is an empty response.
	// When a login minted a token, Response.Auth must carry the token and
	// accessor core issued.
	Response *logical.Response
	// OuterErr is the error answered to the client, if any.
	OuterErr error
	// NonHMACReqDataKeys and NonHMACRespDataKeys are the mount's
	// audit_non_hmac_request_keys and audit_non_hmac_response_keys tunes:
	// string values whose nearest enclosing key is listed are written in
	// plain text, as Vault does.
	NonHMACReqDataKeys  []string
	NonHMACRespDataKeys []string
	// AuditedHeaders selects the request headers written to the log, keyed
	// by lower-case header name; the value says whether to HMAC the
	// header's values. Nil logs no headers, Vault's default.
	AuditedHeaders map[string]bool
	// PolicyResults, when set, is the ACL decision written as
	// auth.policy_results.
	PolicyResults *PolicyResults
	// WrapInfo, when set, describes the response-wrapping token the client
	// received instead of the response; its token and accessors are HMAC'd.
	WrapInfo *WrapInfo
}

// PolicyResults is the outcome of the ACL check of a request.
type PolicyResults struct {
	Allowed          bool
	GrantingPolicies []PolicyInfo
}

// PolicyInfo names one policy that granted a request.
type PolicyInfo struct {
	Name string
	// Type is the policy type, "acl".
	Type string
}

// WrapInfo describes a response-wrapping token.
type WrapInfo struct {
	Token           string
	Accessor        string
	TTL             time.Duration
	CreationTime    time.Time
	CreationPath    string
	WrappedAccessor string
}
