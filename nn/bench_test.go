package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
)

// BenchmarkStep times one training step of the Sorscher RNN (B 200, T 20, Np 512; README,
// "Speed on a CPU") on the float32 CPU backend, with gonum's SGEMM and with internal/sgemm.
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

// BenchmarkStepCell times one training step of each cell at Ng 1024 (nfl2022's ReLU,
// cross-entropy, weight decay; B 200, T 20, Np 512) on the default float32 CPU backend, to
// compare the gated cells' non-GEMM work with the RNN's. Select one with e.g.
// -bench 'StepCell/cell=LSTM'.
func BenchmarkStepCell(b *testing.B) {
	for _, cell := range []Cell{RNN, LSTM, GRU, UGRNN} {
		b.Run(fmt.Sprintf("cell=%s/ng=1024", cell), func(b *testing.B) {
			g := &gemmTimer{Backend: cpu.New(nil)}
			benchCellStep(b, g, cell, 1024)
			b.ReportMetric(g.elapsed.Seconds()*1e3/float64(b.N), "gemm-ms/step")
		})
	}
}

// gemmTimer is the float32 CPU backend with the wall time of its matrix products summed
// (Pack included), so that a benchmark can report how far a step is from its GEMM time.
type gemmTimer struct {
	*cpu.Backend[float32]
	elapsed time.Duration
}

// resetTimer drops the time of the warm-up step, which first touches the workspace.
func (g *gemmTimer) resetTimer() { g.elapsed = 0 }

func (g *gemmTimer) Gemm(tA, tB bool, alpha float64, a, b compute.Tensor, beta float64, c compute.Tensor) {
	t0 := time.Now()
	g.Backend.Gemm(tA, tB, alpha, a, b, beta, c)
	g.elapsed += time.Since(t0)
}

func (g *gemmTimer) Pack(p compute.Packed, transB bool, b compute.Tensor) {
	t0 := time.Now()
	g.Backend.Pack(p, transB, b)
	g.elapsed += time.Since(t0)
}

func (g *gemmTimer) GemmPacked(tA bool, alpha float64, a compute.Tensor, p compute.Packed, beta float64, c compute.Tensor) {
	t0 := time.Now()
	g.Backend.GemmPacked(tA, alpha, a, p, beta, c)
	g.elapsed += time.Since(t0)
}

func benchStep(b *testing.B, be compute.Backend, ng int) { benchCellStep(b, be, RNN, ng) }

func benchCellStep(b *testing.B, be compute.Backend, cell Cell, ng int) {
	cfg := Config{Cell: cell, Ng: ng, Np: 512, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-4}
	m, err := New(be, cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	in := testBatch(rand.New(rand.NewPCG(2, 2)), cfg, 200, 20)
	m.Step(in) // allocate the workspace
	if g, ok := be.(interface{ resetTimer() }); ok {
		g.resetTimer()
	}
	c0 := cpuSeconds()
	for b.Loop() {
		m.Step(in)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/step")
	if c := cpuSeconds(); c > 0 {
		b.ReportMetric((c-c0)*1e3/float64(b.N), "cpu-ms/step")
	}
}
