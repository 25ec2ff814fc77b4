//go:build unix

package e2e

import (
	"syscall"
	"time"
)

// auditProcessCPU is the CPU time (user + system) the test process has
// used. Client and server share the process, so per request it is the cost
// of the whole round trip, and it holds steady however busy the machine is.
func auditProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
