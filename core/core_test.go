package core

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vaultd/vaultd/cubbyhole"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/bbolt"
	"github.com/vaultd/vaultd/storage/inmem"
)

// newTestCore builds a sealed core over phys with only core's own engines.
func newTestCore(t testing.TB, phys storage.Backend) *Core {
	t.Helper()
	c, err := New(context.Background(), Config{
		Physical:    phys,
		StorageType: "test",
		Engines:     map[string]logical.Factory{"cubbyhole": cubbyhole.Factory},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// initCore initialises c with the given split and returns shares and root.
func initCore(t testing.TB, c *Core, shares, threshold int) *InitResult {
	t.Helper()
	res, err := c.Initialize(context.Background(), InitParams{SecretShares: shares, SecretThreshold: threshold})
	if err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	if len(res.Shares) != shares || res.RootToken == "" {
		t.Fatalf("Initialize gave %d shares and root %q", len(res.Shares), res.RootToken)
	}
	return res
}

func unsealWith(t testing.TB, c *Core, shares ...[]byte) *SealStatus {
	t.Helper()
	var st *SealStatus
	for _, s := range shares {
		var err error
		if st, err = c.Unseal(context.Background(), s); err != nil {
			t.Fatalf("Unseal: %v", err)
		}
	}
	return st
}

func rootRequest(root string, op logical.Operation, path string, data map[string]any) *logical.Request {
	return &logical.Request{Operation: op, Path: path, ClientToken: root, Data: data}
}

func TestUnsealAcrossRestartWithDifferentShares(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "vault.db")
	phys, err := bbolt.Open(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newTestCore(t, phys)
	res := initCore(t, c, 5, 3)
	if !c.Sealed() {
		t.Fatal("core unsealed right after init")
	}
	st := unsealWith(t, c, res.Shares[0], res.Shares[1], res.Shares[2])
	if st.Sealed {
		t.Fatal("still sealed after three shares")
	}
	const secret = "a-known-secret-value-7f3a"
	if _, err := c.HandleRequest(ctx, rootRequest(res.RootToken, logical.UpdateOperation, "sys/policies/acl/keepme",
		map[string]any{"policy": `path "x/*" { capabilities = ["read"] } # ` + secret})); err != nil {
		t.Fatalf("write policy: %v", err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for name, needle := range map[string][]byte{"secret": []byte(secret), "root token": []byte(res.RootToken)} {
		if bytes.Contains(raw, needle) {
			t.Errorf("the bbolt file holds the %s in plain text", name)
		}
	}
	for i, s := range res.Shares {
		if bytes.Contains(raw, s) {
			t.Errorf("the bbolt file holds share %d", i)
		}
	}

	phys2, err := bbolt.Open(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	c2 := newTestCore(t, phys2)
	defer c2.Shutdown(ctx)
	if !c2.Sealed() {
		t.Fatal("restarted core is not sealed")
	}
	if _, err := c2.HandleRequest(ctx, rootRequest(res.RootToken, logical.ReadOperation, "sys/policies/acl/keepme", nil)); logical.StatusOf(err) != http.StatusServiceUnavailable {
		t.Fatalf("sealed read: want 503, got %v", err)
	}
	unsealWith(t, c2, res.Shares[2], res.Shares[3], res.Shares[4])
	resp, err := c2.HandleRequest(ctx, rootRequest(res.RootToken, logical.ReadOperation, "sys/policies/acl/keepme", nil))
	if err != nil {
		t.Fatalf("read after restart: %v", err)
	}
	if got, _ := resp.Data["policy"].(string); !bytes.Contains([]byte(got), []byte(secret)) {
		t.Fatalf("policy after restart = %q", got)
	}
}

func TestUnsealProgressAndBadShares(t *testing.T) {
	ctx := context.Background()
	c := newTestCore(t, inmem.New())
	res := initCore(t, c, 5, 3)

	st := unsealWith(t, c, res.Shares[0], res.Shares[1])
	if !st.Sealed || st.Progress != 2 || st.T != 3 || st.N != 5 || st.Nonce == "" || st.ClusterName != "" || st.ClusterID != "" {
		t.Fatalf("after two shares: %+v", st)
	}
	if _, err := c.Unseal(ctx, res.Shares[1]); logical.StatusOf(err) != http.StatusBadRequest {
		t.Fatalf("repeated share: want 400, got %v", err)
	}
	if st, _ := c.SealStatus(ctx); st.Progress != 2 {
		t.Fatalf("a rejected repeat changed progress to %d", st.Progress)
	}
	if _, err := c.ResetUnseal(ctx); err != nil {
		t.Fatal(err)
	}

	// Three shares from another initialisation combine to the wrong key.
	other := newTestCore(t, inmem.New())
	wrong := initCore(t, other, 5, 3)
	unsealWith(t, c, wrong.Shares[0], wrong.Shares[1])
	if _, err := c.Unseal(ctx, wrong.Shares[2]); logical.StatusOf(err) != http.StatusBadRequest {
		t.Fatalf("wrong shares: want 400, got %v", err)
	}
	st, err := c.SealStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Sealed || st.Progress != 0 {
		t.Fatalf("after wrong shares: sealed=%v progress=%d", st.Sealed, st.Progress)
	}
	st = unsealWith(t, c, res.Shares[4], res.Shares[0], res.Shares[3])
	if c.Sealed() || st.ClusterName == "" || st.ClusterID == "" {
		t.Fatalf("the right shares did not unseal after a failed attempt: %+v", st)
	}
}

func TestInitRefusedTwiceAndBadSplits(t *testing.T) {
	ctx := context.Background()
	c := newTestCore(t, inmem.New())
	for _, tc := range []struct{ shares, threshold int }{{0, 0}, {3, 1}, {2, 3}, {256, 3}, {5, 0}} {
		if _, err := c.Initialize(ctx, InitParams{SecretShares: tc.shares, SecretThreshold: tc.threshold}); logical.StatusOf(err) != http.StatusBadRequest {
			t.Errorf("init %d/%d: want 400, got %v", tc.shares, tc.threshold, err)
		}
	}
	if ok, _ := c.Initialized(ctx); ok {
		t.Fatal("a refused init left the core initialised")
	}
	initCore(t, c, 1, 1)
	if _, err := c.Initialize(ctx, InitParams{SecretShares: 1, SecretThreshold: 1}); logical.StatusOf(err) != http.StatusBadRequest {
		t.Fatalf("second init: want 400, got %v", err)
	}
}

func TestSealedCoreRefusesEverything(t *testing.T) {
	ctx := context.Background()
	c := newTestCore(t, inmem.New())
	res := initCore(t, c, 1, 1)
	for _, p := range []string{"sys/mounts", "secret/data/x", "auth/token/lookup-self"} {
		_, err := c.HandleRequest(ctx, rootRequest(res.RootToken, logical.ReadOperation, p, nil))
		if logical.StatusOf(err) != http.StatusServiceUnavailable || err.Error() != "Vault is sealed" {
			t.Errorf("%s while sealed: %v", p, err)
		}
	}
	unsealWith(t, c, res.Shares[0])
	if err := c.Seal(ctx, &logical.Request{ClientToken: "not-a-token"}); logical.StatusOf(err) != http.StatusForbidden {
		t.Fatalf("seal with a bad token: want 403, got %v", err)
	}
	if err := c.Seal(ctx, &logical.Request{ClientToken: res.RootToken}); err != nil {
		t.Fatalf("seal: %v", err)
	}
	if !c.Sealed() {
		t.Fatal("not sealed after Seal")
	}
}

func TestLeaseTTLDefaults(t *testing.T) {
	for _, tc := range []struct {
		name             string
		def, max         time.Duration
		wantDef, wantMax time.Duration
		wantErr          bool
	}{
		{"both unset", 0, 0, 768 * time.Hour, 768 * time.Hour, false},
		{"only max, lower than 768h", 0, time.Hour, time.Hour, time.Hour, false},
		{"only default", 2 * time.Hour, 0, 2 * time.Hour, 768 * time.Hour, false},
		{"default above max", 2 * time.Hour, time.Hour, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(context.Background(), Config{Physical: inmem.New(), DefaultLeaseTTL: tc.def, MaxLeaseTTL: tc.max})
			if tc.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.conf.DefaultLeaseTTL != tc.wantDef || c.conf.MaxLeaseTTL != tc.wantMax {
				t.Fatalf("got %s / %s", c.conf.DefaultLeaseTTL, c.conf.MaxLeaseTTL)
			}
		})
	}
}
