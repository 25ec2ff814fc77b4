package token

import "context"

// IdentityPolicyLister may also be implemented by the Hooks: token lookups
// then report the policies a token's entity and its groups add, as
// identity_policies.
type IdentityPolicyLister interface {
	IdentityPolicies(ctx context.Context, entityID string) []string
}

// withIdentity adds identity_policies to a lookup's data for a token with
// an entity.
func (b *backend) withIdentity(ctx context.Context, e *Entry, data map[string]any) map[string]any {
	if e.EntityID == "" {
		return data
	}
	if l, ok := b.s.getHooks().(IdentityPolicyLister); ok {
		if pols := l.IdentityPolicies(ctx, e.EntityID); len(pols) > 0 {
			data["identity_policies"] = pols
		}
	}
	return data
}
