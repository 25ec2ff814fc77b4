package token

import (
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// TypeService is the type of stored tokens (see TypeBatch for the other).
const TypeService = "service"

// numUsesRevoked marks, in a stored entry, a token whose revocation has
// begun (or whose last use has been spent): Lookup refuses it from then on.
const numUsesRevoked = -1

// Entry is one token. It is stored as JSON without ID under "id/<hmac>".
//
// Entries handed out by the store are copies, but their slices and maps are
// shared with the store's cache: treat them as read-only.
type Entry struct {
	// ID is the plaintext token. It is held only in memory: never stored,
	// never logged. It is empty in entries found by accessor.
	ID string `json:"-"`
	// Accessor is the token's separate, non-secret handle.
	Accessor string `json:"accessor"`
	// Parent is the hex HMAC of the parent token, "" for orphans.
	Parent string `json:"parent,omitempty"`
	// Policies are the token's policies, sorted, without duplicates.
	Policies []string `json:"policies"`
	// Path is where the token was created: "auth/token/create",
	// "auth/kubernetes/login".
	Path string `json:"path"`
	// Meta is the token's metadata.
	Meta map[string]string `json:"meta,omitempty"`
	// DisplayName is shown in audit logs ("token", "token-ci", "root").
	DisplayName string `json:"display_name"`
	// NumUses is the number of uses left, 0 for unlimited. UseToken returns
	// -1 after the last use, when the token has been revoked.
	NumUses int `json:"num_uses"`
	// CreationTime is when the token was created.
	CreationTime time.Time `json:"creation_time"`
	// TTL is the TTL the token was created with (lookup's creation_ttl).
	TTL time.Duration `json:"ttl"`
	// ExpireTime is when the token expires; zero means never (root tokens).
	ExpireTime time.Time `json:"expire_time"`
	// ExplicitMaxTTL caps the token's life from CreationTime, renewals
	// included; 0 for none.
	ExplicitMaxTTL time.Duration `json:"explicit_max_ttl,omitempty"`
	// Period, when set, makes the token periodic: every renewal grants
	// Period again, with no maximum but ExplicitMaxTTL.
	Period time.Duration `json:"period,omitempty"`
	// Renewable reports whether the token may be renewed.
	Renewable bool `json:"renewable"`
	// Orphan is true when the token has no parent.
	Orphan bool `json:"orphan"`
	// Type is "service".
	Type string `json:"type"`
	// EntityID is the identity entity of the token, if any.
	EntityID string `json:"entity_id,omitempty"`
	// BoundCIDRs restrict the client addresses that may use the token.
	BoundCIDRs []string `json:"bound_cidrs,omitempty"`
	// NoDefaultPolicy records that "default" was left out on purpose.
	NoDefaultPolicy bool `json:"no_default_policy,omitempty"`
	// InternalData is what the issuing auth method wants back on renew.
	InternalData map[string]any `json:"internal_data,omitempty"`

	// Role is the token role the token was created against, if any.
	Role string `json:"role,omitempty"`
	// MaxTTL is the auth method's max TTL for a login token (0: the mount's).
	MaxTTL time.Duration `json:"max_ttl,omitempty"`
	// GrantedTTL is the TTL granted by the latest creation or renewal; a
	// renewal without an increment asks for it again.
	GrantedTTL time.Duration `json:"granted_ttl,omitempty"`
	// LastRenewalTime is when the token was last renewed; zero if never.
	LastRenewalTime time.Time `json:"last_renewal_time"`

	// sum is the HMAC of ID, set on every entry the store hands out.
	sum    hmacSum
	hasSum bool
	// idBytes is ID as bytes, kept on cached entries for the comparison.
	idBytes []byte
}

// clone returns a shallow copy: a new struct whose slices and maps are
// shared.
func (e *Entry) clone() *Entry {
	c := *e
	c.idBytes = nil
	return &c
}

// IsRoot reports whether the token carries the root policy.
func (e *Entry) IsRoot() bool {
	return slices.Contains(e.Policies, "root")
}

// Expired reports whether the token has expired at now.
func (e *Entry) Expired(now time.Time) bool {
	return !e.ExpireTime.IsZero() && !now.Before(e.ExpireTime)
}

// Remaining returns the time left before the token expires (0 for a token
// that never expires or has expired).
func (e *Entry) Remaining(now time.Time) time.Duration {
	if e.ExpireTime.IsZero() || !now.Before(e.ExpireTime) {
		return 0
	}
	return e.ExpireTime.Sub(now)
}

// live reports whether the entry may be used at now.
func (e *Entry) live(now time.Time) bool {
	return e.NumUses >= 0 && !e.Expired(now)
}

// AllowsAddr reports whether a client at addr (an IP address, no port) may
// use the token under its BoundCIDRs. A token without bound CIDRs allows
// every address; an unparsable address or CIDR allows nothing.
func (e *Entry) AllowsAddr(addr string) bool {
	if len(e.BoundCIDRs) == 0 {
		return true
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, c := range e.BoundCIDRs {
		p, err := parseCIDR(c)
		if err == nil && p.Contains(ip) {
			return true
		}
	}
	return false
}

// parseCIDR reads "10.0.0.0/8" or a single address as a prefix.
func parseCIDR(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// grantedTTL is the lease duration last granted to the token.
func (e *Entry) grantedTTL() time.Duration {
	if e.GrantedTTL > 0 {
		return e.GrantedTTL
	}
	return e.TTL
}

// ToAuth describes the token as a logical.Auth, for audit entries and for
// responses. Its TTL is the TTL last granted (at creation or renewal). The
// slices and maps are copies.
func (e *Entry) ToAuth() *logical.Auth {
	return &logical.Auth{
		ClientToken:     e.ID,
		Accessor:        e.Accessor,
		DisplayName:     e.DisplayName,
		Policies:        slices.Clone(e.Policies),
		TokenPolicies:   slices.Clone(e.Policies),
		NoDefaultPolicy: e.NoDefaultPolicy,
		Metadata:        maps.Clone(e.Meta),
		TTL:             e.grantedTTL(),
		MaxTTL:          e.MaxTTL,
		ExplicitMaxTTL:  e.ExplicitMaxTTL,
		Period:          e.Period,
		NumUses:         e.NumUses,
		Renewable:       e.Renewable && !e.ExpireTime.IsZero(),
		BoundCIDRs:      slices.Clone(e.BoundCIDRs),
		TokenType:       logical.TokenType(e.Type),
		EntityID:        e.EntityID,
		Orphan:          e.Parent == "",
		IssueTime:       e.CreationTime,
		InternalData:    maps.Clone(e.InternalData),
	}
}
