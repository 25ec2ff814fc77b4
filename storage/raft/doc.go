// Package raft is vaultd's replicated storage: the storage.Backend contract
// on a Raft log (github.com/hashicorp/raft, the consensus library Vault and
// OpenBao use), applied by a finite-state machine to a bbolt file.
//
// A write (Put, Delete, Commit) is one Raft log entry: it returns only once
// a quorum has stored the entry and the local FSM has applied it, so an
// acknowledged write survives the loss of any minority of nodes. A multi-op
// Commit is one entry and is applied in one bbolt transaction: atomic on
// every node. Reads are served from the local FSM. Only the leader accepts
// writes; others answer ErrNotLeader, and the server above forwards.
//
// Layout under the configured path:
//
//	raft/raft.db     the Raft log and stable store (bbolt)
//	raft/snapshots/  Raft snapshots of the FSM
//	vaultd.db        the FSM: the same bucket layout as storage/bbolt
//
// Every value is barrier ciphertext (or one of the seal's few plaintext
// entries), so neither the log nor a snapshot holds a secret in the clear.
package raft
