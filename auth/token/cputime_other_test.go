//go:build !unix

package token

import "time"

// processCPU is unknown here; benchmarks then report 0 cpu-ns/op.
func processCPU() time.Duration { return 0 }
