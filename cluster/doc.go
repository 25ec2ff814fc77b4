// Package cluster is a node's cluster port: one TCP listener on
// cluster_addr carrying Raft's RPCs and the requests standbys forward to the
// active node, both over mutual TLS with the cluster's key pair.
//
// The key pair is made at init and kept inside the barrier, so a node has it
// only once it is unsealed (or has joined, which needs the unseal key).
// Until SetTLS is called every handshake fails: a sealed node neither serves
// nor dials cluster traffic. The two kinds of traffic are told apart by
// their ALPN protocol names.
package cluster
