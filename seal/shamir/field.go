package shamir

// gfMul multiplies a and b in GF(2^8) with the AES reduction polynomial.
// It runs the same eight masked steps whatever the operands.
func gfMul(a, b byte) byte {
	var p byte
	for range 8 {
		p ^= a & -(b & 1)
		a = (a << 1) ^ (0x1b & -(a >> 7))
		b >>= 1
	}
	return p
}

// gfInv returns the multiplicative inverse of a (a^254, since a^255 = 1 for
// every non-zero a), and 0 for 0. It always performs the same 13 products.
func gfInv(a byte) byte {
	// 254 = 2 + 4 + 8 + 16 + 32 + 64 + 128.
	sq := gfMul(a, a) // a^2
	r := sq
	for range 6 {
		sq = gfMul(sq, sq) // a^4 … a^128
		r = gfMul(r, sq)
	}
	return r
}

// gfDiv returns a / b; b must not be 0.
func gfDiv(a, b byte) byte {
	return gfMul(a, gfInv(b))
}
