//go:build !unix

package nn

// cpuSeconds is not measured on this platform; BenchmarkStep then omits cpu-ms/step.
func cpuSeconds() float64 { return 0 }
