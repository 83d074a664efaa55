package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
)

// TestPackedRecurrentMatchesGemm checks that the recurrent products through a packed
// W_rec (compute.PackedGemmer, issue 7) change no bit of the loss or of any gradient:
// the default float32 backend packs, the same backend behind plainBackend (which hides
// PackedGemmer) runs every product through Gemm. Two steps, so that the second runs on
// updated weights repacked from the first step's values.
func TestPackedRecurrentMatchesGemm(t *testing.T) {
	for _, cell := range []Cell{RNN, LSTM, GRU, SRNN} {
		for _, recDrop := range []float64{0, 0.2} {
			cfg := Config{Cell: cell, Ng: 37, Np: 11, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-4,
				InputDropout: 0.1, RecurrentDropout: recDrop}
			bp, bu := cpu.New(nil), plainBackend{cpu.New(nil)}
			mp, err := New(bp, cfg, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			mu, _ := New(bu, cfg, rand.New(rand.NewPCG(1, 2)))
			for step := range 2 {
				in := testBatch(rand.New(rand.NewPCG(3, uint64(step))), cfg, 13, 6)
				lp, lu := mp.Step(in), mu.Step(in)
				if math.Float64bits(lp) != math.Float64bits(lu) {
					t.Fatalf("%s recurrent dropout %v step %d: loss %v packed, %v unpacked", cell, recDrop, step, lp, lu)
				}
				for i, p := range mp.Params() {
					q := mu.Params()[i]
					gp, gu := make([]float32, p.Rows*p.Cols), make([]float32, p.Rows*p.Cols)
					bp.Download(gp, p.Grad)
					bu.Download(gu, q.Grad)
					for j := range gp {
						if math.Float32bits(gp[j]) != math.Float32bits(gu[j]) {
							t.Fatalf("%s recurrent dropout %v step %d: ∂/∂%s[%d] = %v packed, %v unpacked",
								cell, recDrop, step, p.Name, j, gp[j], gu[j])
						}
					}
					// Change the weights as an optimizer would, so that the next step must
					// repack W_rec rather than reuse the packing of this one.
					bp.Axpy(p.Value, -0.1, p.Grad)
					bu.Axpy(q.Value, -0.1, q.Grad)
				}
			}
		}
	}
}

// plainBackend is a backend without the optional compute.PackedGemmer.
type plainBackend struct{ compute.Backend }

// TestStepAllocsPacked is TestStepAllocs without recurrent dropout, the case in which
// the recurrent products use the packed W_rec.
func TestStepAllocsPacked(t *testing.T) {
	for _, cell := range []Cell{RNN, LSTM, GRU, SRNN} {
		cfg := Config{Cell: cell, Ng: 8, Np: 6, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-4}
		checkStepAllocs(t, cfg)
	}
}
