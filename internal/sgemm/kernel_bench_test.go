package sgemm

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkKernel runs the micro-kernel alone on one packed kc×nr B micro-panel
// and a few A micro-panels that stay in L1, the kernel's ceiling per core.
func BenchmarkKernel(b *testing.B) {
	kern := currentKernel()
	kc := blocks.kc
	rnd := rand.New(rand.NewPCG(1, 1))
	const panels = 2
	ap := randSlice(rnd, panels*kern.mr*kc)
	bp := randSlice(rnd, kern.nr*kc)
	c := make([]float32, panels*kern.mr*kern.nr)
	b.Run(kern.name, func(b *testing.B) {
		cpu0 := cpuSeconds()
		for b.Loop() {
			for q := range panels {
				kern.run(kc, &ap[q*kern.mr*kc], &bp[0], &c[q*kern.mr*kern.nr], kern.nr, 1, 1)
			}
		}
		flops := 2 * float64(panels*kern.mr*kern.nr*kc) * float64(b.N)
		b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		if cpu := cpuSeconds() - cpu0; cpu > 0 {
			b.ReportMetric(flops/cpu/1e9, "GFLOP/cpu-s")
		}
	})
}
