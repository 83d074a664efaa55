package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
)

// BenchmarkStep times one training step of the Sorscher RNN (B 200, T 20, Np 512; DESIGN.md
// "Compute") on the float32 CPU backend. Reference on the 2-core machine: PyTorch 53–56 ms at
// Ng 256, gonum-based Go 240–273 ms. Larger Ng run with -bench 'Step/ng=1024'.
func BenchmarkStep(b *testing.B) {
	for _, ng := range []int{256, 1024, 4096} {
		b.Run(fmt.Sprintf("ng=%d", ng), func(b *testing.B) {
			cfg := Config{Cell: RNN, Ng: ng, Np: 512, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-4}
			m, err := New(cpu.New(nil), cfg, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				b.Fatal(err)
			}
			in := testBatch(rand.New(rand.NewPCG(2, 2)), cfg, 200, 20)
			m.Step(in)
			b.ResetTimer()
			for b.Loop() {
				m.Step(in)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
		})
	}
}
