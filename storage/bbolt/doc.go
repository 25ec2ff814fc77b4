// Package bbolt is the on-disk storage.Backend, one bbolt file with a single
// bucket.
//
// The file is created with mode 0600. Every write that returns nil has been
// fsync'd. Writes are group-committed: one committer goroutine takes every
// write that queued while the previous transaction was committing into the
// next transaction, so N writers arriving during one fsync cost one fsync
// instead of N, and a lone writer commits at once without waiting on a
// timer.
package bbolt
