package logical

import "time"

// Response is what an engine answers. A nil Response with a nil error means
// "nothing here": 204 for writes, 404 for reads and lists.
type Response struct {
	// Data becomes the envelope's "data" object.
	Data map[string]any
	// Auth, when set by an auth method's login path, asks core to mint a
	// token with these properties; core fills in ClientToken and Accessor.
	Auth *Auth
	// Secret, when set, asks core to register a lease for the response.
	Secret *Secret
	// Warnings become the envelope's "warnings".
	Warnings []string
	// Redirect, when set, answers with a 307 to that address.
	Redirect string
	// StatusCode overrides the HTTP status of a response that carries a
	// body, as Vault does for a KV v2 read of a deleted version (404 with
	// the version's metadata). Zero means the default for the operation.
	StatusCode int
	// WrapInfo, when set by core, means the response was wrapped: the
	// client receives only the wrapping token's description.
	WrapInfo *WrapInfo
	// Raw marks Data as the whole HTTP body rather than the envelope's
	// "data" field; sys/ endpoints whose Vault answer is not enveloped use it.
	Raw bool
}

// AddWarning appends a warning to the response.
func (r *Response) AddWarning(format string) {
	r.Warnings = append(r.Warnings, format)
}

// TokenType names how a token is kept.
type TokenType string

// Token types. Service tokens are stored and renewable; batch tokens are
// not stored (the token is its own encrypted entry) and cannot be renewed.
const (
	TokenTypeService TokenType = "service"
	TokenTypeBatch   TokenType = "batch"
)

// Auth describes a token: the one a login wants minted, or the one a request
// carries.
type Auth struct {
	ClientToken string
	Accessor    string
	DisplayName string
	// Policies are all the token's policies; TokenPolicies those attached
	// to the token itself (IdentityPolicies are the others).
	Policies        []string
	TokenPolicies   []string
	NoDefaultPolicy bool
	Metadata        map[string]string

	TTL            time.Duration
	MaxTTL         time.Duration
	ExplicitMaxTTL time.Duration
	Period         time.Duration
	NumUses        int
	Renewable      bool
	BoundCIDRs     []string
	TokenType      TokenType
	EntityID       string
	Orphan         bool
	IssueTime      time.Time

	// IdentityPolicies are those the token's entity and its groups add at
	// request time (as of the login, in a login's answer).
	IdentityPolicies []string
	// Alias, set by a login, names the caller in the auth method's own
	// terms; core finds or creates its identity entity and sets EntityID.
	Alias *Alias

	// InternalData is kept with the token and handed back to the issuing
	// method on renew; it is never shown to the client.
	InternalData map[string]any
}

// Secret describes a lease on a response.
type Secret struct {
	LeaseID      string
	TTL          time.Duration
	MaxTTL       time.Duration
	Renewable    bool
	IssueTime    time.Time
	InternalData map[string]any
	// Increment is set only on a renew request: the increment the client
	// asked for, or zero for none (Vault's engines then use their own
	// default TTL, not the lease's last one). It is never stored.
	Increment time.Duration `json:"-"`
}
