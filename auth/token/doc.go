// Package token is vaultd's token store: it creates, looks up, renews and
// revokes service tokens, keeps the parent/child tree so that a token's
// children die with it, and serves the auth/token/* endpoints through
// Store.Backend.
//
// Tokens are "hvs." followed by 33 base62 characters drawn from crypto/rand
// (about 196 bits). A token is never stored: entries live under
// "id/<hmac>", where <hmac> is the hex HMAC-SHA256 of the token under a random
// salt kept in the store's own view. Two indexes sit beside them:
// "accessor/<accessor>" holds the HMAC of the accessor's token, and
// "parent/<parent-hmac>/<child-hmac>" records each child under its parent.
//
// Look-ups are answered from an in-memory cache keyed by the HMAC; every
// change to a token (use count, renewal, revocation) drops its cache entry
// while holding the token's lock, so a revoked token is refused at once. An
// expired token is refused by Lookup the moment it expires, whether or not a
// reaper has revoked it yet.
//
// The package imports only logical and the standard library. Core wires
// itself in through Hooks, which tell it about created, renewed and revoked
// tokens and let it ask an auth method before a login token is renewed.
package token
