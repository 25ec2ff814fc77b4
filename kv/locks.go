package kv

import (
	"hash/maphash"
	"sync"
)

// lockStripes is the number of locks in a stripedLocks. Two secrets share a
// lock only when their path hashes collide modulo this number. A writer
// holds its lock across the commit (an fsync), so a collision makes one
// write wait for another's whole commit: with 64 concurrent writers, 256
// stripes gave about 8 colliding pairs at any moment, 1024 give about 2,
// for 24 KiB per mount.
const lockStripes = 1024

// stripedLocks serialises read-modify-write cycles on one secret without a
// global lock: each path maps to one of a fixed set of RWMutexes.
type stripedLocks struct {
	seed  maphash.Seed
	locks [lockStripes]sync.RWMutex
}

func newStripedLocks() *stripedLocks {
	return &stripedLocks{seed: maphash.MakeSeed()}
}

// forKey returns the lock guarding key.
func (l *stripedLocks) forKey(key string) *sync.RWMutex {
	return &l.locks[maphash.String(l.seed, key)%lockStripes]
}
