//go:build unix

package analysis

import (
	"syscall"
	"time"
)

// processCPUTime returns the user+system CPU time of this process, so that benchmarks can
// report throughput per CPU-second, which a machine shared with other jobs does not distort
// the way it distorts wall time.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
