package sgemm

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkPack measures the packing routines at the tuned block sizes, in
// nanoseconds per packed element, from sources that fit in L2 (so it is the
// routine's cost, not memory bandwidth).
func BenchmarkPack(b *testing.B) {
	kern := currentKernel()
	mr := kern.mr
	mc, kc, nc := blocks.mc/mr*mr, blocks.kc, 512
	rnd := rand.New(rand.NewPCG(1, 1))
	src := randSlice(rnd, max(mc, nc, kc)*kc)
	dst := make([]float32, max(mc, nc)*kc)
	for _, tc := range []struct {
		name string
		fn   func()
		n    int
	}{
		{"A/N", func() { packA(kern, dst, false, src, kc, 0, 0, mc, kc) }, mc * kc},
		{"A/T", func() { packA(kern, dst, true, src, mc, 0, 0, mc, kc) }, mc * kc},
		{"B/N", func() { packB(kern, dst, false, src, nc, 0, 0, kc, nc) }, nc * kc},
		{"B/T", func() { packB(kern, dst, true, src, kc, 0, 0, kc, nc) }, nc * kc},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				tc.fn()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(tc.n), "ns/elem")
		})
	}
}
