// Package shamir splits a secret into shares with Shamir's scheme over
// GF(2^8), the AES (Rijndael) field x^8 + x^4 + x^3 + x + 1, and combines
// them back.
//
// The share format is Vault's: the share's bytes (one per secret byte)
// followed by one byte holding the share's x coordinate, so shares made by
// HashiCorp Vault combine here and the other way round.
//
// Field arithmetic is branch-free and table-free (shift-and-add
// multiplication with masks, inversion by exponentiation), so its timing
// does not depend on the secret bytes.
package shamir
