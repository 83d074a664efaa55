//go:build !unix

package sgemm

// cpuSeconds is not measured on this platform; benchmarks then omit the
// per-CPU-second metric.
func cpuSeconds() float64 { return 0 }
