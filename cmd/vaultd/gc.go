package main

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Garbage collector settings of `vaultd server`, unless the GOGC and
// GOMEMLIMIT environment variables say otherwise. A request allocates
// little that outlives it and the live heap of a server is small (tens of
// MB whatever the number of secrets), so with Go's default of collecting
// each time the heap doubles the collector ran several hundred times a
// second under load and took a fifth of the CPU of a KV read. Letting the
// heap grow to five times the live data before a collection costs a few
// tens of MB and buys that CPU back. Inside a memory-limited cgroup (a
// Kubernetes container with limits.memory) the collector also runs harder
// as the heap nears 90% of the limit, so the larger target never takes
// the process over it.
const (
	serverGCPercent = 400
	// memoryLimitShare is the part of the cgroup's memory.max the Go heap
	// is held under.
	memoryLimitShare = 0.9
	cgroupMemoryMax  = "/sys/fs/cgroup/memory.max"
)

// gcSettings is what tuneGC applies: a GC percent and a soft memory limit
// in bytes, 0 meaning "leave as is".
type gcSettings struct {
	percent     int
	memoryLimit int64
}

// chooseGC decides the settings from the environment and the cgroup's
// memory.max (its content, or nil when unreadable).
func chooseGC(getenv func(string) string, memoryMax []byte) gcSettings {
	var s gcSettings
	if getenv("GOGC") == "" {
		s.percent = serverGCPercent
	}
	if getenv("GOMEMLIMIT") == "" {
		limit, err := strconv.ParseInt(strings.TrimSpace(string(memoryMax)), 10, 64)
		if err == nil && limit > 0 {
			s.memoryLimit = int64(float64(limit) * memoryLimitShare)
		}
	}
	return s
}

// tuneGC applies chooseGC's settings to this process.
func tuneGC() {
	memoryMax, _ := os.ReadFile(cgroupMemoryMax)
	s := chooseGC(os.Getenv, memoryMax)
	if s.percent != 0 {
		debug.SetGCPercent(s.percent)
	}
	if s.memoryLimit != 0 {
		debug.SetMemoryLimit(s.memoryLimit)
	}
}
