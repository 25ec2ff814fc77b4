// Package bbolt is the on-disk storage.Backend, one bbolt file with a single
// bucket.
//
// The file is created with mode 0600. Every write that returns nil has been
// fsync'd. Concurrent writers share transactions through bbolt's DB.Batch,
// so N writers arriving together cost one fsync instead of N; a writer that
// finds no other writer in flight commits on its own at once and pays no
// batching delay.
package bbolt
