package kv

import (
	"hash/maphash"
	"sync"
)

// lockStripes is the number of locks in a stripedLocks. Two secrets share a
// lock only when their path hashes collide modulo this number.
const lockStripes = 256

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
