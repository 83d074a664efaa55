package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
)

// BenchmarkStep times one training step of the Sorscher RNN (B 200, T 20, Np 512; DESIGN.md
// "Compute") on the float32 CPU backend, with gonum's SGEMM and with internal/sgemm.
// Reference on the 2-core machine: PyTorch 53–56 ms at Ng 256, gonum-based Go 240–273 ms.
// Select one with e.g. -bench 'Step/gemm=sgemm/ng=256'.
func BenchmarkStep(b *testing.B) {
	for _, gemm := range []struct {
		name string
		f    cpu.SgemmFunc
	}{{"gonum", cpu.GonumSgemm}, {"sgemm", nil}} {
		for _, ng := range []int{256, 1024, 4096} {
			b.Run(fmt.Sprintf("gemm=%s/ng=%d", gemm.name, ng), func(b *testing.B) {
				// The default backend (nil settings) is the one training uses: passing
				// sgemm.Sgemm explicitly would turn off its packed recurrent products.
				var s *cpu.Settings
				if gemm.f != nil {
					s = &cpu.Settings{Sgemm: gemm.f}
				}
				benchStep(b, cpu.New(s), ng)
			})
		}
	}
}

func benchStep(b *testing.B, be compute.Backend, ng int) {
	cfg := Config{Cell: RNN, Ng: ng, Np: 512, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-4}
	m, err := New(be, cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	in := testBatch(rand.New(rand.NewPCG(2, 2)), cfg, 200, 20)
	m.Step(in) // allocate the workspace
	c0 := cpuSeconds()
	for b.Loop() {
		m.Step(in)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/step")
	if c := cpuSeconds(); c > 0 {
		b.ReportMetric((c-c0)*1e3/float64(b.N), "cpu-ms/step")
	}
}
