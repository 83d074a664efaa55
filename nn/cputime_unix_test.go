//go:build unix

package nn

import "syscall"

// cpuSeconds is the user+system CPU time of the process so far. BenchmarkStep reports CPU
// milliseconds per step beside wall time because the reference machine's two cores are
// shared with other processes.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
