package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

func TestSealCeremonyOverHTTP(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoInit: true, Dir: t.TempDir()})
	c := s.Client

	status, body := raw(t, c, http.MethodGet, "sys/health", nil)
	if status != http.StatusNotImplemented || body["initialized"] != false {
		t.Fatalf("health before init: %d %v", status, body)
	}
	init, err := c.Sys().Init(&api.InitRequest{SecretShares: 5, SecretThreshold: 3})
	must(t, err, "init")
	if len(init.Keys) != 5 || len(init.KeysB64) != 5 || init.RootToken == "" {
		t.Fatalf("init answer: %+v", init)
	}
	_, err = c.Sys().Init(&api.InitRequest{SecretShares: 1, SecretThreshold: 1})
	wantStatus(t, err, http.StatusBadRequest, "second init")

	c.SetToken(init.RootToken)
	for _, p := range []string{"sys/mounts", "secret/data/x", "auth/token/lookup-self"} {
		status, body := raw(t, c, http.MethodGet, p, nil)
		if status != http.StatusServiceUnavailable || anyStrings(body["errors"])[0] != "Vault is sealed" {
			t.Errorf("%s while sealed: %d %v", p, status, body)
		}
	}
	if status, _ := raw(t, c, http.MethodGet, "sys/health", nil); status != http.StatusServiceUnavailable {
		t.Fatalf("health while sealed: %d", status)
	}

	// Two of three: still sealed. A repeated share: 400, progress kept.
	_, err = c.Sys().Unseal(init.Keys[0])
	must(t, err, "share 1 (hex)")
	st, err := c.Sys().Unseal(init.KeysB64[1])
	must(t, err, "share 2 (base64)")
	if !st.Sealed || st.Progress != 2 || st.T != 3 || st.N != 5 || st.Type != "shamir" {
		t.Fatalf("after two shares: %+v", st)
	}
	_, err = c.Sys().Unseal(init.Keys[1])
	wantStatus(t, err, http.StatusBadRequest, "repeated share")
	st, err = c.Sys().SealStatus()
	must(t, err, "seal-status")
	if st.Progress != 2 {
		t.Fatalf("a repeated share changed progress to %d", st.Progress)
	}

	// Three wrong shares: a clear error, progress 0, still sealed.
	_, err = c.Sys().ResetUnsealProcess()
	must(t, err, "reset")
	other := vaulttest.Start(t, vaulttest.Options{Shares: 5, Threshold: 3})
	for i := 0; i < 2; i++ {
		_, err := c.Sys().Unseal(other.Shares[i])
		must(t, err, "foreign share")
	}
	_, err = c.Sys().Unseal(other.Shares[2])
	wantStatus(t, err, http.StatusBadRequest, "wrong shares")
	st, err = c.Sys().SealStatus()
	must(t, err, "seal-status")
	if !st.Sealed || st.Progress != 0 {
		t.Fatalf("after wrong shares: %+v", st)
	}

	s.Shares = init.KeysB64
	s.Unseal(init.KeysB64[2], init.KeysB64[3], init.KeysB64[4])
	if status, body := raw(t, c, http.MethodGet, "sys/health", nil); status != http.StatusOK || body["sealed"] != false {
		t.Fatalf("health when unsealed: %d %v", status, body)
	}
	leader, err := c.Sys().Leader()
	must(t, err, "sys/leader")
	if leader.HAEnabled {
		t.Fatal("sys/leader claims HA")
	}
	must(t, c.Sys().Seal(), "seal")
	if st, _ := c.Sys().SealStatus(); !st.Sealed {
		t.Fatal("sys/seal did not seal")
	}
}

func TestKeyRotationKeepsData(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{Dir: t.TempDir()})
	_, err := s.Client.KVv2("secret").Put(t.Context(), "before", map[string]any{"v": "old-term"})
	must(t, err, "put")
	ks, err := s.Client.Sys().KeyStatus()
	must(t, err, "key-status")
	if ks.Term != 1 || ks.InstallTime.IsZero() {
		t.Fatalf("key-status: %+v", ks)
	}
	must(t, s.Client.Sys().Rotate(), "rotate")
	ks, err = s.Client.Sys().KeyStatus()
	must(t, err, "key-status")
	if ks.Term != 2 {
		t.Fatalf("term after rotate: %d", ks.Term)
	}
	_, err = s.Client.KVv2("secret").Put(t.Context(), "after", map[string]any{"v": "new-term"})
	must(t, err, "put after rotate")
	s.Restart()
	s.Unseal(s.Shares...)
	for key, want := range map[string]string{"before": "old-term", "after": "new-term"} {
		got, err := s.Client.KVv2("secret").Get(t.Context(), key)
		must(t, err, "get "+key)
		if got.Data["v"] != want {
			t.Fatalf("%s = %v", key, got.Data["v"])
		}
	}
}

// TestResponseWrappedNotInClear: a wrapped read never carries the secret
// itself, only the wrapping token's wrap_info.
func TestResponseWrappedNotInClear(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	_, err := s.Client.KVv2("secret").Put(t.Context(), "wrapped", map[string]any{"v": "secret-value"})
	must(t, err, "put")
	c := s.NewClient(s.RootToken)
	c.AddHeader("X-Vault-Wrap-TTL", "5m")
	status, body := raw(t, c, http.MethodGet, "secret/data/wrapped", nil)
	if status != http.StatusOK || body["data"] != nil || body["wrap_info"] == nil {
		t.Fatalf("a wrapped read answered %d %v: want only wrap_info", status, body)
	}
	if strings.Contains(fmt.Sprint(body), "secret-value") {
		t.Fatalf("the wrapped answer holds the secret: %v", body)
	}
}
