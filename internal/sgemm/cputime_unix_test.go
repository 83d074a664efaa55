//go:build unix

package sgemm

import "syscall"

// cpuSeconds is the user+system CPU time of the process so far. Benchmarks report
// GFLOP per CPU-second beside GFLOP/s because the reference machine's two cores
// are shared: CPU time leaves out the time other processes held the cores.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
