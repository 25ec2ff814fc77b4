package seal

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// otpAlphabet is the base62 alphabet one-time pads are drawn from, as the
// vault CLI draws them.
const otpAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// ErrOTPLength rejects a one-time pad whose length differs from the token's.
var ErrOTPLength = errors.New("OTP string is wrong length")

// GenerateOTP returns n random base62 characters, a one-time pad for a
// root token of n characters.
func GenerateOTP(n int) (string, error) {
	var sb strings.Builder
	sb.Grow(n)
	buf := make([]byte, n+16)
	for sb.Len() < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("seal: read random bytes: %w", err)
		}
		for _, b := range buf {
			// 248 = 4*62: rejecting higher bytes keeps every character
			// equally likely.
			if b >= 248 || sb.Len() == n {
				continue
			}
			sb.WriteByte(otpAlphabet[b%62])
		}
	}
	return sb.String(), nil
}

// EncodeRootToken hides a new root token under a one-time pad the way Vault
// does, so that `vault operator generate-root -decode` recovers it: the
// bytes of the token XORed with the bytes of the pad, in unpadded standard
// base64. The pad must be exactly as long as the token.
func EncodeRootToken(token, otp string) (string, error) {
	if token == "" || len(otp) != len(token) {
		return "", ErrOTPLength
	}
	out := make([]byte, len(token))
	for i := range out {
		out[i] = token[i] ^ otp[i]
	}
	return base64.RawStdEncoding.EncodeToString(out), nil
}

// DecodeRootToken reverses EncodeRootToken.
func DecodeRootToken(encoded, otp string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(encoded)
	if err != nil {
		return "", fmt.Errorf("seal: decode encoded token: %w", err)
	}
	if len(raw) != len(otp) {
		return "", ErrOTPLength
	}
	for i := range raw {
		raw[i] ^= otp[i]
	}
	return string(raw), nil
}
