package token

import (
	"fmt"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// ttlRequest is what decides the TTL granted at creation or renewal.
type ttlRequest struct {
	now   time.Time
	start time.Time // the token's creation time
	// increment is what a renewal asks for (0 for none).
	increment time.Duration
	// base is the TTL asked at creation, or the last granted TTL on renewal.
	base time.Duration
	// period, when set, replaces every other TTL.
	period time.Duration
	// maxTTL is the issuer's max TTL (0: the mount's).
	maxTTL time.Duration
	// explicitMax caps the life from start (0: none).
	explicitMax time.Duration
}

// calculateTTL works out a token's TTL the way Vault does:
//
//   - A periodic token gets its period, capped by the effective max TTL
//     (the least of the mount's max, the issuer's max and the explicit max);
//     only the explicit max bounds its life from creation.
//   - Otherwise the token gets the increment, else the base TTL, else the
//     mount's default, and never beyond creation + the effective max TTL.
//
// It fails when that limit has already passed.
func calculateTTL(sys logical.SystemView, r ttlRequest) (time.Duration, []string, error) {
	limit := sys.MaxLeaseTTL()
	for _, m := range []time.Duration{r.maxTTL, r.explicitMax} {
		if m > 0 && (limit <= 0 || m < limit) {
			limit = m
		}
	}

	var warnings []string
	var ttl time.Duration
	var deadline time.Time
	if r.period > 0 {
		ttl = r.period
		if limit > 0 && ttl > limit {
			warnings = append(warnings, fmt.Sprintf("period of %q exceeded the effective max_ttl of %q; period value is capped accordingly", ttl, limit))
			ttl = limit
		}
		if r.explicitMax > 0 {
			deadline = r.start.Add(r.explicitMax)
		}
	} else {
		switch {
		case r.increment > 0:
			ttl = r.increment
		case r.base > 0:
			ttl = r.base
		case sys.DefaultLeaseTTL() > 0:
			ttl = sys.DefaultLeaseTTL()
		default:
			ttl = limit
		}
		if limit > 0 {
			deadline = r.start.Add(limit)
		}
	}

	if !deadline.IsZero() {
		left := deadline.Sub(r.now)
		if left <= 0 {
			return 0, nil, logical.InvalidRequest("past the max TTL, cannot renew")
		}
		if ttl > left {
			warnings = append(warnings, fmt.Sprintf("TTL of %q exceeded the effective max_ttl of %q; TTL value is capped accordingly", ttl, left.Truncate(time.Second)))
			ttl = left
		}
	}
	return ttl, warnings, nil
}

// capToParent keeps a child's TTL within its parent's remaining life. A
// parent that never expires does not cap.
func capToParent(ttl time.Duration, parent *Entry, now time.Time) (time.Duration, []string, error) {
	if parent == nil || parent.ExpireTime.IsZero() {
		return ttl, nil, nil
	}
	left := parent.ExpireTime.Sub(now)
	if left <= 0 {
		return 0, nil, logical.InvalidRequest("parent token has expired")
	}
	if ttl == 0 || ttl > left {
		return left, []string{fmt.Sprintf("TTL of %q exceeded the parent token's remaining lifetime of %q; TTL value is capped accordingly", ttl, left.Truncate(time.Second))}, nil
	}
	return ttl, nil, nil
}
