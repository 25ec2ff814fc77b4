//go:build unix

package token

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the test process has used, so
// benchmarks can report cost per operation independent of how busy the
// machine is.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
