//go:build unix

package ha

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/test/proc"
	"github.com/vaultd/vaultd/vaulttest"
)

var vaultd proc.Binary

// member is one vaultd process of a test cluster.
type member struct {
	t       testing.TB
	id      string
	dir     string
	api     string // host:port
	cluster string // host:port
	config  string
	p       *proc.Proc
	// tls, when set, makes the member serve its API over HTTPS.
	tls *apiTLS
}

// testCluster is n members that know each other through retry_join.
type testCluster struct {
	t       testing.TB
	bin     string
	members []*member
	root    string
	shares  []string
}

// newCluster writes the configs of n members and starts them all; none is
// initialised yet.
func newCluster(t testing.TB, n int) *testCluster {
	t.Helper()
	tc := &testCluster{t: t, bin: vaultd.Path(t)}
	for i := range n {
		tc.members = append(tc.members, &member{
			t: t, id: fmt.Sprintf("vaultd-%d", i), dir: t.TempDir(),
			api: proc.FreeAddr(t), cluster: proc.FreeAddr(t),
		})
	}
	for _, m := range tc.members {
		m.writeConfig(tc.members)
		tc.start(m)
	}
	return tc
}

func (m *member) writeConfig(all []*member) {
	var joins strings.Builder
	for _, o := range all {
		if o == m {
			continue
		}
		if m.tls != nil {
			fmt.Fprintf(&joins, "  retry_join {\n    leader_api_addr = %q\n    leader_ca_cert_file = %q\n    leader_tls_servername = %q\n  }\n",
				o.url(), m.tls.caFile, tlsServerName)
			continue
		}
		fmt.Fprintf(&joins, "  retry_join { leader_api_addr = %q }\n", o.url())
	}
	listenerTLS := "tls_disable = true"
	if m.tls != nil {
		listenerTLS = fmt.Sprintf("tls_cert_file = %q\n  tls_key_file = %q", m.tls.certFile, m.tls.keyFile)
	}
	conf := fmt.Sprintf(`storage "raft" {
  path    = %s
  node_id = %q
  performance_multiplier = 1
%s}
listener "tcp" {
  address     = %q
  %s
}
api_addr      = %q
cluster_addr  = "https://%s"
disable_mlock = true
log_level     = "info"
`, strconv.Quote(filepath.Join(m.dir, "data")), m.id, joins.String(), m.api, listenerTLS, m.url(), m.cluster)
	m.config = filepath.Join(m.dir, "vaultd.hcl")
	if err := os.WriteFile(m.config, []byte(conf), 0o600); err != nil {
		m.t.Fatal(err)
	}
}

// start runs the member's process and waits until it answers.
func (tc *testCluster) start(m *member) {
	tc.t.Helper()
	m.p = proc.Start(tc.t, tc.bin, proc.Options{}, "server", "-config="+m.config)
	if m.tls == nil {
		proc.WaitHealthy(tc.t, m.url(), 30*time.Second)
		return
	}
	c := m.client("")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := c.Sys().SealStatus(); err == nil {
			return
		} else if time.Now().After(deadline) {
			tc.t.Fatalf("%s never answered over TLS: %v\n%s", m.id, err, m.p.Out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (m *member) url() string {
	if m.tls != nil {
		return "https://" + m.api
	}
	return "http://" + m.api
}

// client is a vault/api client for the member, without retries.
func (m *member) client(token string) *api.Client {
	c := vaulttest.NewClient(m.t, m.url(), token)
	if m.tls != nil {
		cfg := c.CloneConfig()
		if err := cfg.ConfigureTLS(&api.TLSConfig{CACert: m.tls.caFile, TLSServerName: tlsServerName}); err != nil {
			m.t.Fatal(err)
		}
		var err error
		if c, err = api.NewClient(cfg); err != nil {
			m.t.Fatal(err)
		}
		c.SetToken(token)
	}
	return c
}

// form initialises member 0, unseals it, and unseals every other member
// once its retry_join has fetched a challenge: the whole cluster joins.
func (tc *testCluster) form() {
	tc.t.Helper()
	c := tc.members[0].client("")
	init, err := c.Sys().Init(&api.InitRequest{SecretShares: 3, SecretThreshold: 2})
	if err != nil {
		tc.t.Fatalf("init: %v", err)
	}
	tc.root, tc.shares = init.RootToken, init.KeysB64
	tc.unseal(tc.members[0])
	tc.waitActive(tc.members[0], 30*time.Second)
	for _, m := range tc.members[1:] {
		tc.waitInitialized(m)
		tc.unseal(m)
	}
	tc.waitVoters(len(tc.members))
}

// unseal gives the member the threshold of shares.
func (tc *testCluster) unseal(m *member) {
	tc.t.Helper()
	c := m.client("")
	var st *api.SealStatusResponse
	var err error
	for _, s := range tc.shares[:2] {
		if st, err = c.Sys().Unseal(s); err != nil {
			tc.t.Fatalf("unseal %s: %v\n%s", m.id, err, m.p.Out)
		}
	}
	if st.Sealed {
		tc.t.Fatalf("%s still sealed: %+v", m.id, st)
	}
}

// waitInitialized waits until a joining member reports the cluster's seal
// configuration: its retry_join got a challenge.
func (tc *testCluster) waitInitialized(m *member) {
	tc.t.Helper()
	c := m.client("")
	eventually(tc.t, 30*time.Second, func() error {
		st, err := c.Sys().SealStatus()
		if err != nil {
			return err
		}
		if !st.Initialized {
			return fmt.Errorf("%s not initialised yet", m.id)
		}
		return nil
	})
}

// leaderOf reads sys/leader on m.
func leaderOf(m *member) (*api.LeaderResponse, error) {
	return m.client("").Sys().Leader()
}

// waitActive waits until m says it is the active node.
func (tc *testCluster) waitActive(m *member, d time.Duration) {
	tc.t.Helper()
	eventually(tc.t, d, func() error {
		l, err := leaderOf(m)
		if err != nil {
			return err
		}
		if !l.IsSelf {
			return fmt.Errorf("%s is not active: %+v", m.id, l)
		}
		return nil
	})
}

// active finds the member that is active, waiting for one among the live
// members.
func (tc *testCluster) active(d time.Duration) *member {
	tc.t.Helper()
	var found *member
	eventually(tc.t, d, func() error {
		for _, m := range tc.members {
			if m.p.Exited() {
				continue
			}
			if l, err := leaderOf(m); err == nil && l.IsSelf {
				found = m
				return nil
			}
		}
		return fmt.Errorf("no active node")
	})
	return found
}

// standbys are the live members other than a.
func (tc *testCluster) standbys(a *member) []*member {
	var out []*member
	for _, m := range tc.members {
		if m != a && !m.p.Exited() {
			out = append(out, m)
		}
	}
	return out
}

type peer struct {
	NodeID  string `json:"node_id"`
	Address string `json:"address"`
	Leader  bool   `json:"leader"`
	Voter   bool   `json:"voter"`
}

// peers reads sys/storage/raft/configuration through m.
func (tc *testCluster) peers(m *member) ([]peer, error) {
	sec, err := m.client(tc.root).Logical().Read("sys/storage/raft/configuration")
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(sec.Data["config"])
	if err != nil {
		return nil, err
	}
	var conf struct {
		Servers []peer `json:"servers"`
	}
	if err := json.Unmarshal(raw, &conf); err != nil {
		return nil, err
	}
	return conf.Servers, nil
}

// waitVoters waits until the configuration lists n voters.
func (tc *testCluster) waitVoters(n int) {
	tc.t.Helper()
	eventually(tc.t, 30*time.Second, func() error {
		ps, err := tc.peers(tc.members[0])
		if err != nil {
			return err
		}
		voters := 0
		for _, p := range ps {
			if p.Voter {
				voters++
			}
		}
		if voters != n {
			return fmt.Errorf("%d voters, want %d: %+v", voters, n, ps)
		}
		return nil
	})
}

// eventually retries f every 50 ms until it succeeds or d passes.
func eventually(t testing.TB, d time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// health reads sys/health's status code through m.
func health(t testing.TB, m *member, query string) int {
	t.Helper()
	resp, err := http.Get(m.url() + "/v1/sys/health" + query)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func bg() context.Context { return context.Background() }

// wipe deletes the member's data directory (the process must be stopped).
func (m *member) wipe() {
	m.t.Helper()
	if err := os.RemoveAll(filepath.Join(m.dir, "data")); err != nil {
		m.t.Fatal(err)
	}
}
