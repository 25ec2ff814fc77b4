// Package identity is the identity store mounted at identity/: entities,
// their aliases (one per auth mount that knows the caller) and internal
// groups. Core asks it, through logical.IdentityResolver, for the entity of
// each login (created on first sight) and for a token's entity and group
// policies at request time.
package identity
