// Package heap measures what a piece of code allocates, for tests that hold
// memory use to a bound with counts rather than timings.
package heap

import "runtime"

// BytesPerRun returns the heap bytes f allocates per call, averaged over
// runs calls after one warm-up call (whose first-use allocations are not
// f's own).
func BytesPerRun(runs int, f func()) uint64 {
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}
