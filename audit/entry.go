package audit

// The types below are the wire schema of one audit entry, field for field
// the JSON Vault writes. They are exported so tests and tools can decode a
// log line.

// Entry types.
const (
	TypeRequest  = "request"
	TypeResponse = "response"
)

// Entry is one line of the audit log.
type Entry struct {
	// Time is RFC 3339 with nanoseconds, in UTC.
	Time string `json:"time,omitempty"`
	// Type is "request" or "response".
	Type     string         `json:"type"`
	Auth     *EntryAuth     `json:"auth,omitempty"`
	Request  *EntryRequest  `json:"request,omitempty"`
	Response *EntryResponse `json:"response,omitempty"`
	// Error is the error answered to the client, if any.
	Error string `json:"error,omitempty"`
}

// EntryAuth describes a token: the caller's at the top level, the one a
// login minted under response.
type EntryAuth struct {
	ClientToken     string             `json:"client_token,omitempty"`
	Accessor        string             `json:"accessor,omitempty"`
	DisplayName     string             `json:"display_name,omitempty"`
	Policies        []string           `json:"policies,omitempty"`
	TokenPolicies   []string           `json:"token_policies,omitempty"`
	PolicyResults   *EntryPolicyResult `json:"policy_results,omitempty"`
	Metadata        map[string]string  `json:"metadata,omitempty"`
	EntityID        string             `json:"entity_id,omitempty"`
	NoDefaultPolicy bool               `json:"no_default_policy,omitempty"`
	NumUses         int                `json:"num_uses,omitempty"`
	// TokenType is "service", "batch", or "default" when unknown (no
	// token), as Vault writes it.
	TokenType string `json:"token_type,omitempty"`
	// TokenTTL is in seconds.
	TokenTTL int64 `json:"token_ttl,omitempty"`
	// TokenIssueTime is RFC 3339, in UTC.
	TokenIssueTime string `json:"token_issue_time,omitempty"`
}

// EntryPolicyResult is the ACL decision.
type EntryPolicyResult struct {
	Allowed          bool              `json:"allowed"`
	GrantingPolicies []EntryPolicyInfo `json:"granting_policies,omitempty"`
}

// EntryPolicyInfo is one granting policy.
type EntryPolicyInfo struct {
	Name        string `json:"name,omitempty"`
	NamespaceID string `json:"namespace_id,omitempty"`
	Type        string `json:"type"`
}

// EntryNamespace is the request's namespace; always {"id":"root"} here.
type EntryNamespace struct {
	ID   string `json:"id,omitempty"`
	Path string `json:"path,omitempty"`
}

// EntryRequest is the request part of an entry.
type EntryRequest struct {
	ID                  string              `json:"id,omitempty"`
	Operation           string              `json:"operation,omitempty"`
	MountPoint          string              `json:"mount_point,omitempty"`
	MountType           string              `json:"mount_type,omitempty"`
	MountAccessor       string              `json:"mount_accessor,omitempty"`
	ClientToken         string              `json:"client_token,omitempty"`
	ClientTokenAccessor string              `json:"client_token_accessor,omitempty"`
	Namespace           *EntryNamespace     `json:"namespace,omitempty"`
	Path                string              `json:"path,omitempty"`
	Data                map[string]any      `json:"data,omitempty"`
	RemoteAddr          string              `json:"remote_address,omitempty"`
	RemotePort          int                 `json:"remote_port,omitempty"`
	WrapTTL             int                 `json:"wrap_ttl,omitempty"`
	Headers             map[string][]string `json:"headers,omitempty"`
}

// EntryResponse is the response part of a response entry.
type EntryResponse struct {
	MountPoint    string         `json:"mount_point,omitempty"`
	MountType     string         `json:"mount_type,omitempty"`
	MountAccessor string         `json:"mount_accessor,omitempty"`
	Auth          *EntryAuth     `json:"auth,omitempty"`
	Secret        *EntrySecret   `json:"secret,omitempty"`
	Data          map[string]any `json:"data,omitempty"`
	Warnings      []string       `json:"warnings,omitempty"`
	Redirect      string         `json:"redirect,omitempty"`
	WrapInfo      *EntryWrapInfo `json:"wrap_info,omitempty"`
}

// EntrySecret is the lease of a response.
type EntrySecret struct {
	LeaseID string `json:"lease_id,omitempty"`
}

// EntryWrapInfo describes a response-wrapping token.
type EntryWrapInfo struct {
	Accessor        string `json:"accessor,omitempty"`
	CreationPath    string `json:"creation_path,omitempty"`
	CreationTime    string `json:"creation_time,omitempty"`
	Token           string `json:"token,omitempty"`
	TTL             int    `json:"ttl,omitempty"`
	WrappedAccessor string `json:"wrapped_accessor,omitempty"`
}
