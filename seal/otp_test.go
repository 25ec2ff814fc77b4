package seal

import (
	"errors"
	"strings"
	"testing"
)

func TestRootTokenOTPRoundTrip(t *testing.T) {
	token := "hvs.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg"
	otp, err := GenerateOTP(len(token))
	if err != nil {
		t.Fatal(err)
	}
	if len(otp) != len(token) || strings.Trim(otp, otpAlphabet) != "" {
		t.Fatalf("OTP %q is not %d base62 characters", otp, len(token))
	}
	enc, err := EncodeRootToken(token, otp)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(enc, "=") || strings.Contains(enc, token) {
		t.Fatalf("encoded %q is padded or shows the token", enc)
	}
	got, err := DecodeRootToken(enc, otp)
	if err != nil || got != token {
		t.Fatalf("DecodeRootToken = %q, %v", got, err)
	}
	if _, err := EncodeRootToken(token, otp[1:]); !errors.Is(err, ErrOTPLength) {
		t.Fatalf("short OTP: %v", err)
	}
	if _, err := DecodeRootToken("!!", otp); err == nil {
		t.Fatal("bad base64 decoded")
	}
}

// A known vector: "ab" XOR "AB" is 0x20 0x20, "ICA" in unpadded base64.
func TestEncodeRootTokenVector(t *testing.T) {
	enc, err := EncodeRootToken("ab", "AB")
	if err != nil || enc != "ICA" {
		t.Fatalf("EncodeRootToken = %q, %v", enc, err)
	}
}
