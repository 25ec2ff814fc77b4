package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"math/big"
	"net/http"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// decodeVaultRootToken undoes the OTP encoding the way the vault CLI's
// `operator generate-root -decode` does (sdk/helper/roottoken): unpadded
// standard base64, then XOR with the pad. It is written here, apart from
// the server's encoder, so that the test checks the wire format.
func decodeVaultRootToken(t *testing.T, encoded, otp string) string {
	t.Helper()
	b, err := base64.RawStdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatalf("encoded token %q is not unpadded base64: %v", encoded, err)
	}
	if len(b) != len(otp) {
		t.Fatalf("encoded token of %d bytes for an OTP of %d", len(b), len(otp))
	}
	for i := range b {
		b[i] ^= otp[i]
	}
	return string(b)
}

// randomOTP draws n base62 characters, as `vault operator generate-root
// -generate-otp` does.
func randomOTP(t *testing.T, n int) string {
	t.Helper()
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	out := make([]byte, n)
	for i := range out {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		must(t, err, "random")
		out[i] = alphabet[v.Int64()]
	}
	return string(out)
}

func TestGenerateRootWithOTP(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{Shares: 5, Threshold: 3})
	// The ceremony needs no token: a client without one drives it.
	c := s.NewClient("")
	c.ClearToken()

	st, err := c.Sys().GenerateRootStatus()
	must(t, err, "status")
	if st.Started || st.Required != 3 || st.OTPLength == 0 || st.Progress != 0 {
		t.Fatalf("status before: %+v", st)
	}
	otp := randomOTP(t, st.OTPLength)

	// An OTP of the wrong length: 400, nothing started.
	_, err = c.Sys().GenerateRootInit(otp[1:], "")
	wantStatus(t, err, http.StatusBadRequest, "short OTP")

	st, err = c.Sys().GenerateRootInit(otp, "")
	must(t, err, "init")
	if !st.Started || st.Nonce == "" || st.OTP != "" {
		t.Fatalf("init answer: %+v", st)
	}
	nonce := st.Nonce

	// A second attempt while one runs: 400.
	_, err = c.Sys().GenerateRootInit(otp, "")
	wantStatus(t, err, http.StatusBadRequest, "second attempt")

	// A wrong nonce: 400, no progress.
	_, err = c.Sys().GenerateRootUpdate(s.Shares[0], "not-the-nonce")
	wantStatus(t, err, http.StatusBadRequest, "wrong nonce")

	// Three shares of another server: the third is a 400 and the progress
	// is reset, while the attempt (and its nonce) stays.
	other := vaulttest.Start(t, vaulttest.Options{Shares: 5, Threshold: 3, NoKV: true})
	for i := range 2 {
		st, err := c.Sys().GenerateRootUpdate(other.Shares[i], nonce)
		must(t, err, "wrong share")
		if st.Progress != i+1 || st.Complete {
			t.Fatalf("after wrong share %d: %+v", i, st)
		}
	}
	_, err = c.Sys().GenerateRootUpdate(other.Shares[2], nonce)
	wantStatus(t, err, http.StatusBadRequest, "wrong shares at threshold")
	st, err = c.Sys().GenerateRootStatus()
	must(t, err, "status after wrong shares")
	if !st.Started || st.Progress != 0 || st.Nonce != nonce {
		t.Fatalf("status after wrong shares: %+v", st)
	}

	// A repeated share: 400, progress kept.
	_, err = c.Sys().GenerateRootUpdate(s.Shares[0], nonce)
	must(t, err, "share 1")
	_, err = c.Sys().GenerateRootUpdate(s.Shares[0], nonce)
	wantStatus(t, err, http.StatusBadRequest, "repeated share")
	_, err = c.Sys().GenerateRootUpdate(s.Shares[3], nonce)
	must(t, err, "share 2")
	st, err = c.Sys().GenerateRootUpdate(s.Shares[4], nonce)
	must(t, err, "share 3")
	if !st.Complete || st.EncodedRootToken == "" || st.EncodedToken != st.EncodedRootToken {
		t.Fatalf("final answer: %+v", st)
	}
	newRoot := decodeVaultRootToken(t, st.EncodedRootToken, otp)

	// The new token is a root token.
	nc := s.NewClient(newRoot)
	self, err := nc.Auth().Token().LookupSelf()
	must(t, err, "lookup-self with the new root token")
	if pol, _ := self.TokenPolicies(); len(pol) != 1 || pol[0] != "root" {
		t.Fatalf("new token policies: %v", pol)
	}
	_, err = nc.Logical().Write("secret/data/after", map[string]any{"data": map[string]any{"k": "v"}})
	must(t, err, "write with the new root token")

	// The attempt is over.
	st, err = c.Sys().GenerateRootStatus()
	must(t, err, "status after")
	if st.Started || st.Nonce != "" {
		t.Fatalf("status after completion: %+v", st)
	}

	// The old root token still works until it is revoked.
	_, err = s.Client.Logical().Read("sys/mounts")
	must(t, err, "old root token before revoke")
	must(t, nc.Auth().Token().RevokeOrphan(s.RootToken), "revoke the old root token")
	_, err = s.Client.Logical().Read("sys/mounts")
	wantStatus(t, err, http.StatusForbidden, "old root token after revoke")
}

func TestGenerateRootServerOTPAndCancel(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true})
	c := s.Client

	// No OTP given: the server draws one and says it once.
	st, err := c.Sys().GenerateRootInit("", "")
	must(t, err, "init without otp")
	if st.OTP == "" || len(st.OTP) != st.OTPLength {
		t.Fatalf("server-drawn OTP: %+v", st)
	}
	again, err := c.Sys().GenerateRootStatus()
	must(t, err, "status")
	if again.OTP != "" {
		t.Fatal("status repeats the OTP")
	}
	must(t, c.Sys().GenerateRootCancel(), "cancel")
	again, err = c.Sys().GenerateRootStatus()
	must(t, err, "status after cancel")
	if again.Started {
		t.Fatalf("still started after cancel: %+v", again)
	}
	_, err = c.Sys().GenerateRootUpdate(s.Shares[0], st.Nonce)
	wantStatus(t, err, http.StatusBadRequest, "update after cancel")

	// PGP is refused rather than ignored.
	_, err = c.Sys().GenerateRootInit("", "some-pgp-key")
	wantStatus(t, err, http.StatusBadRequest, "pgp_key")

	// A 1/1 server finishes at the first share.
	st, err = c.Sys().GenerateRootInit("", "")
	must(t, err, "init")
	done, err := c.Sys().GenerateRootUpdate(s.Shares[0], st.Nonce)
	must(t, err, "update")
	tok := decodeVaultRootToken(t, done.EncodedRootToken, st.OTP)
	_, err = s.NewClient(tok).Logical().Read("sys/mounts")
	must(t, err, "new root token works")
}

func TestGenerateRootSealed(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true})
	must(t, s.Client.Sys().Seal(), "seal")
	_, err := s.Client.Sys().GenerateRootStatus()
	wantStatus(t, err, http.StatusServiceUnavailable, "status while sealed")
	_, err = s.Client.Sys().GenerateRootInit("", "")
	wantStatus(t, err, http.StatusServiceUnavailable, "init while sealed")
}

// TestCeremonyBadInput: malformed ceremony requests are clear 400s (or
// 405s) and change nothing.
func TestCeremonyBadInput(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true, Shares: 3, Threshold: 2})
	c := s.Client
	st, err := c.Sys().GenerateRootInit("", "")
	must(t, err, "init")
	rk, err := c.Sys().RekeyInit(&api.RekeyInitRequest{SecretShares: 1, SecretThreshold: 1})
	must(t, err, "rekey init")
	cases := []struct {
		method, path string
		body         any
		status       int
	}{
		{http.MethodPut, "sys/generate-root/update", map[string]any{"nonce": st.Nonce}, http.StatusBadRequest},
		{http.MethodPut, "sys/generate-root/update", map[string]any{"key": "not a share!", "nonce": st.Nonce}, http.StatusBadRequest},
		{http.MethodPut, "sys/generate-root/update", map[string]any{"key": []any{1}, "nonce": st.Nonce}, http.StatusBadRequest},
		{http.MethodPut, "sys/generate-root/update", "[1,2]", http.StatusBadRequest},
		{http.MethodGet, "sys/generate-root/update", nil, http.StatusMethodNotAllowed},
		{http.MethodPut, "sys/generate-root/attempt", map[string]any{"otp": 42}, http.StatusBadRequest},
		{http.MethodPut, "sys/rekey/init", map[string]any{"secret_shares": "many", "secret_threshold": 1}, http.StatusBadRequest},
		{http.MethodPut, "sys/rekey/init", map[string]any{"secret_shares": 300, "secret_threshold": 2}, http.StatusBadRequest},
		{http.MethodPut, "sys/rekey/update", map[string]any{"key": s.Shares[0]}, http.StatusBadRequest}, // no nonce
		{http.MethodPatch, "sys/rekey/init", map[string]any{}, http.StatusMethodNotAllowed},
	}
	for _, tc := range cases {
		status, body := raw(t, c, tc.method, tc.path, tc.body)
		if status != tc.status {
			t.Errorf("%s %s %v: %d %v, want %d", tc.method, tc.path, tc.body, status, body, tc.status)
		}
	}
	// Nothing moved: no progress on either, the same nonces.
	gs, err := c.Sys().GenerateRootStatus()
	must(t, err, "status")
	rs, err := c.Sys().RekeyStatus()
	must(t, err, "rekey status")
	if gs.Progress != 0 || gs.Nonce != st.Nonce || rs.Progress != 0 || rs.Nonce != rk.Nonce {
		t.Fatalf("bad input moved a ceremony: %+v %+v", gs, rs)
	}
}
