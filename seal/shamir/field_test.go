package shamir

import "testing"

// refMul is a slow, independent GF(2^8) product: carry-less multiplication
// to 15 bits, then long division by the AES polynomial 0x11b.
func refMul(a, b byte) byte {
	var p uint16
	for i := range 8 {
		if b&(1<<i) != 0 {
			p ^= uint16(a) << i
		}
	}
	for bit := 14; bit >= 8; bit-- {
		if p&(1<<bit) != 0 {
			p ^= 0x11b << (bit - 8)
		}
	}
	return byte(p)
}

func TestGFMulKnownAnswers(t *testing.T) {
	// FIPS-197 section 4.2 works these products by hand.
	cases := []struct{ a, b, want byte }{
		{0x57, 0x83, 0xc1},
		{0x57, 0x13, 0xfe},
		{0x57, 0x02, 0xae},
		{0x57, 0x04, 0x47},
		{0x57, 0x08, 0x8e},
		{0x57, 0x10, 0x07},
		{0x00, 0xff, 0x00},
		{0x01, 0xab, 0xab},
	}
	for _, tc := range cases {
		if got := gfMul(tc.a, tc.b); got != tc.want {
			t.Errorf("gfMul(%#x, %#x) = %#x, want %#x", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestGFMulMatchesReference(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			if got, want := gfMul(byte(a), byte(b)), refMul(byte(a), byte(b)); got != want {
				t.Fatalf("gfMul(%#x, %#x) = %#x, want %#x", a, b, got, want)
			}
		}
	}
}

func TestGFInv(t *testing.T) {
	if gfInv(0) != 0 {
		t.Fatalf("gfInv(0) = %#x", gfInv(0))
	}
	for a := 1; a < 256; a++ {
		inv := gfInv(byte(a))
		if refMul(byte(a), inv) != 1 {
			t.Fatalf("%#x * gfInv(%#x)=%#x != 1", a, a, inv)
		}
		if gfDiv(byte(a), byte(a)) != 1 {
			t.Fatalf("gfDiv(%#x, %#x) != 1", a, a)
		}
	}
}
