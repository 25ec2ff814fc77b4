package core

import (
	"crypto/sha256"
	"encoding/hex"
)

// logExpired records one revocation by expiry, so that an operator (and the
// HA tests) can see that one node, once, revoked a lease. A token's lease
// is named by a hash of its accessor, never the accessor itself.
func (x *expiration) logExpired(rec *leaseRecord) {
	if rec.Kind == kindToken {
		x.st.c.logger.Info("expired lease revoked", "kind", rec.Kind, "accessor_sha256", AccessorHash(rec.TokenAccessor))
		return
	}
	x.st.c.logger.Info("expired lease revoked", "kind", rec.Kind, "lease_id", rec.LeaseID)
}

// AccessorHash is how logs name a token's accessor: the first 16 hex
// digits of its SHA-256.
func AccessorHash(accessor string) string {
	sum := sha256.Sum256([]byte(accessor))
	return hex.EncodeToString(sum[:8])
}
