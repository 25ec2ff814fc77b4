package command

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/vault/api"
)

// The operator raft family: list-peers, join, remove-peer, snapshot save
// and snapshot restore, on integrated storage.

func operatorRaftCommands() []spec {
	return []spec{
		{name: "operator raft list-peers", synopsis: "Returns the Raft peer set", run: runRaftListPeers, help: `Usage: vault operator raft list-peers [options]

  Lists the members of the Raft cluster: node ID, cluster address, state
  (leader or follower) and whether each votes.
`},
		{name: "operator raft join", synopsis: "Joins a node to the Raft cluster", run: runRaftJoin, help: `Usage: vault operator raft join [options] LEADER_API_ADDR

  Asks the node at -address (which must not be a member yet) to join the
  cluster through the member at LEADER_API_ADDR. The node then waits to be
  unsealed with the cluster's key shares, which is how it proves it may
  join.

      $ vault operator raft join https://vaultd-0.vaultd-internal:8200
`},
		{name: "operator raft remove-peer", synopsis: "Removes a node from the Raft cluster", run: runRaftRemovePeer, help: `Usage: vault operator raft remove-peer [options] SERVER_ID

  Removes the member SERVER_ID from the Raft configuration.
`},
		{name: "operator raft snapshot save", synopsis: "Saves a snapshot of the current state of the Raft cluster into a file", run: runRaftSnapshotSave, help: `Usage: vault operator raft snapshot save [options] FILE

  Saves a snapshot of the whole store (encrypted as it is stored) to FILE.
`},
		{name: "operator raft snapshot restore", synopsis: "Installs the provided snapshot, returning the cluster to the state defined in it", run: runRaftSnapshotRestore, help: `Usage: vault operator raft snapshot restore [options] FILE

  Replaces the cluster's data with the snapshot in FILE. A snapshot made by
  another cluster is refused unless -force is given; the cluster is then
  unsealed with that cluster's key shares.
`},
	}
}

// raftPeer is one member as sys/storage/raft/configuration lists it.
type raftPeer struct {
	NodeID  string `json:"node_id"`
	Address string `json:"address"`
	Leader  bool   `json:"leader"`
	Voter   bool   `json:"voter"`
}

func runRaftListPeers(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat)
	if _, code, ok := b.parseN(args, 0, 0); !ok {
		return code
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	sec, err := client.Logical().ReadWithContext(b.ctx, "sys/storage/raft/configuration")
	if err != nil {
		return b.remote("Error reading the raft cluster configuration", err)
	}
	if sec == nil || sec.Data == nil {
		b.errorf("No raft cluster configuration found")
		return exitRemote
	}
	var conf struct {
		Servers []raftPeer `json:"servers"`
	}
	if err := decodeInto(sec.Data["config"], &conf); err != nil {
		b.errorf("Error reading the raft cluster configuration: %s", err)
		return exitRemote
	}
	rows := [][]string{{"Node", "Address", "State", "Voter"}}
	for _, s := range conf.Servers {
		state := "follower"
		if s.Leader {
			state = "leader"
		}
		rows = append(rows, []string{s.NodeID, s.Address, state, fmt.Sprint(s.Voter)})
	}
	return b.out().columns(rows, sec)
}

func runRaftJoin(b *base, args []string) int {
	fs := b.flags(flagsHTTP | flagsFormat)
	var caCert, clientCert, clientKey string
	var retry, nonVoter bool
	fs.StringVar(&caCert, "leader-ca-cert", "", "PEM CA certificate (or @file) that verifies the leader's API certificate.")
	fs.StringVar(&clientCert, "leader-client-cert", "", "PEM client certificate (or @file) for the leader's API.")
	fs.StringVar(&clientKey, "leader-client-key", "", "PEM key (or @file) of -leader-client-cert.")
	fs.BoolVar(&retry, "retry", false, "Keep trying to join until it works.")
	fs.BoolVar(&nonVoter, "non-voter", false, "Join as a non-voter (not supported by vaultd).")
	pos, code, ok := b.parseN(args, 1, 1)
	if !ok {
		return code
	}
	if nonVoter {
		b.errorf("Error joining the node to the raft cluster: vaultd does not support non-voting members")
		return exitLocal
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"leader-ca-cert", &caCert}, {"leader-client-cert", &clientCert}, {"leader-client-key", &clientKey}} {
		var err error
		if *f.v, err = readAtFile(*f.v); err != nil {
			b.errorf("Error reading -%s: %s", f.name, err)
			return exitLocal
		}
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	resp, err := client.Sys().RaftJoinWithContext(b.ctx, &api.RaftJoinRequest{
		LeaderAPIAddr: pos[0], LeaderCACert: caCert, LeaderClientCert: clientCert, LeaderClientKey: clientKey, Retry: retry,
	})
	if err != nil {
		return b.remote("Error joining the node to the raft cluster", err)
	}
	p := b.out()
	if p.format != "table" {
		return p.encode(resp)
	}
	p.table([][]string{{"Key", "Value"}, {"Joined", fmt.Sprint(resp.Joined)}})
	return exitOK
}

func runRaftRemovePeer(b *base, args []string) int {
	b.flags(flagsHTTP)
	pos, code, ok := b.parseN(args, 1, 1)
	if !ok {
		return code
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	if _, err := client.Logical().WriteWithContext(b.ctx, "sys/storage/raft/remove-peer", map[string]any{"server_id": pos[0]}); err != nil {
		return b.remote("Error removing the peer from raft cluster", err)
	}
	b.out().linef("Peer removed successfully!")
	return exitOK
}

func runRaftSnapshotSave(b *base, args []string) int {
	b.flags(flagsHTTP)
	pos, code, ok := b.parseN(args, 1, 1)
	if !ok {
		return code
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	f, err := os.OpenFile(pos[0], os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		b.errorf("Error creating snapshot file: %s", err)
		return exitLocal
	}
	err = client.Sys().RaftSnapshotWithContext(b.ctx, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(pos[0])
		return b.remote("Error taking the snapshot", err)
	}
	return exitOK
}

func runRaftSnapshotRestore(b *base, args []string) int {
	fs := b.flags(flagsHTTP)
	var force bool
	fs.BoolVar(&force, "force", false, "Install a snapshot made by another cluster.")
	pos, code, ok := b.parseN(args, 1, 1)
	if !ok {
		return code
	}
	f, err := os.Open(pos[0])
	if err != nil {
		b.errorf("Error opening snapshot file: %s", err)
		return exitLocal
	}
	defer f.Close()
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	if err := client.Sys().RaftSnapshotRestoreWithContext(b.ctx, f, force); err != nil {
		return b.remote("Error installing the snapshot", err)
	}
	return exitOK
}

// readAtFile reads "@path" as the file's contents; any other value is kept.
func readAtFile(v string) (string, error) {
	path, ok := strings.CutPrefix(v, "@")
	if !ok {
		return v, nil
	}
	b, err := os.ReadFile(path)
	return string(b), err
}

// decodeInto re-reads a decoded JSON value into a typed one.
func decodeInto(v, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
