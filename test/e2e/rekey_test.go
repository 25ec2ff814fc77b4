package e2e

import (
	"net/http"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// TestRekeyOldSharesStopWorking rekeys a 5/3 server on bbolt to 3/2,
// restarts it, and shows that the new shares unseal it and the old do not.
func TestRekeyOldSharesStopWorking(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{Dir: t.TempDir(), Shares: 5, Threshold: 3})
	_, err := s.Client.Logical().Write("secret/data/keep", map[string]any{"data": map[string]any{"v": "1"}})
	must(t, err, "write before rekey")
	oldShares := s.Shares
	c := s.NewClient("") // rekey needs no token, only shares
	c.ClearToken()

	st, err := c.Sys().RekeyStatus()
	must(t, err, "status")
	if st.Started || st.Required != 3 {
		t.Fatalf("status before: %+v", st)
	}
	_, err = c.Sys().RekeyInit(&api.RekeyInitRequest{SecretShares: 2, SecretThreshold: 3})
	wantStatus(t, err, http.StatusBadRequest, "threshold above shares")
	_, err = c.Sys().RekeyInit(&api.RekeyInitRequest{SecretShares: 3, SecretThreshold: 2, PGPKeys: []string{"a", "b", "c"}})
	wantStatus(t, err, http.StatusBadRequest, "pgp keys")

	st, err = c.Sys().RekeyInit(&api.RekeyInitRequest{SecretShares: 3, SecretThreshold: 2})
	must(t, err, "init")
	if !st.Started || st.N != 3 || st.T != 2 || st.Required != 3 || st.Nonce == "" {
		t.Fatalf("init answer: %+v", st)
	}
	_, err = c.Sys().RekeyInit(&api.RekeyInitRequest{SecretShares: 3, SecretThreshold: 2})
	wantStatus(t, err, http.StatusBadRequest, "second rekey")

	// Wrong shares reset the progress.
	other := vaulttest.Start(t, vaulttest.Options{Shares: 5, Threshold: 3, NoKV: true})
	for i := range 2 {
		_, err := c.Sys().RekeyUpdate(other.Shares[i], st.Nonce)
		must(t, err, "wrong share")
	}
	_, err = c.Sys().RekeyUpdate(other.Shares[2], st.Nonce)
	wantStatus(t, err, http.StatusBadRequest, "wrong shares at threshold")
	again, err := c.Sys().RekeyStatus()
	must(t, err, "status after wrong shares")
	if !again.Started || again.Progress != 0 {
		t.Fatalf("after wrong shares: %+v", again)
	}
	_, err = c.Sys().RekeyUpdate(oldShares[0], "wrong-nonce")
	wantStatus(t, err, http.StatusBadRequest, "wrong nonce")

	// A root generation under way gathers old shares: the rekey ends it.
	_, err = c.Sys().GenerateRootInit("", "")
	must(t, err, "generate-root init")
	var res *api.RekeyUpdateResponse
	for i, share := range oldShares[1:4] {
		res, err = c.Sys().RekeyUpdate(share, st.Nonce)
		must(t, err, "old share")
		if (i == 2) != res.Complete {
			t.Fatalf("after share %d: %+v", i+1, res)
		}
	}
	if len(res.Keys) != 3 || len(res.KeysB64) != 3 {
		t.Fatalf("rekey answer: %+v", res)
	}
	if gr, err := c.Sys().GenerateRootStatus(); err != nil || gr.Started || gr.Required != 2 {
		t.Fatalf("generate-root after the rekey: %+v %v", gr, err)
	}
	sst, err := c.Sys().SealStatus()
	must(t, err, "seal-status")
	if sst.T != 2 || sst.N != 3 || sst.Sealed {
		t.Fatalf("seal-status after rekey: %+v", sst)
	}

	s.Restart()
	// The old shares no longer unseal (the server now asks for two).
	_, err = s.Client.Sys().Unseal(oldShares[0])
	must(t, err, "old share after restart")
	_, err = s.Client.Sys().Unseal(oldShares[1])
	wantStatus(t, err, http.StatusBadRequest, "old shares after rekey")
	sst, err = s.Client.Sys().SealStatus()
	must(t, err, "seal-status")
	if !sst.Sealed || sst.Progress != 0 {
		t.Fatalf("after old shares: %+v", sst)
	}
	// Two of the new ones do; the data is intact.
	s.Unseal(res.KeysB64[2], res.Keys[0])
	sec, err := s.Client.Logical().Read("secret/data/keep")
	must(t, err, "read after rekey")
	if sec == nil || sec.Data["data"].(map[string]any)["v"] != "1" {
		t.Fatalf("data after rekey: %+v", sec)
	}
}

func TestRekeyCancel(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true, Shares: 3, Threshold: 2})
	c := s.Client
	st, err := c.Sys().RekeyInit(&api.RekeyInitRequest{SecretShares: 1, SecretThreshold: 1})
	must(t, err, "init")
	_, err = c.Sys().RekeyUpdate(s.Shares[0], st.Nonce)
	must(t, err, "share")
	must(t, c.Sys().RekeyCancel(), "cancel")
	_, err = c.Sys().RekeyUpdate(s.Shares[1], st.Nonce)
	wantStatus(t, err, http.StatusBadRequest, "update after cancel")
	// The old shares still unseal: nothing changed.
	must(t, c.Sys().Seal(), "seal")
	s.Unseal(s.Shares[1], s.Shares[2])
}
