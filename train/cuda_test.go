package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/compute/cuda"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/nn"
	"github.com/gridcells/gridcells/sim"
)

// Tolerances of the GPU-against-CPU training comparison. Both backends round to float32
// but sum in different orders (cuBLAS blocking, double-precision reductions on the GPU),
// so the runs drift apart by a few float32 ulps per operation; after a few Adam steps the
// losses agree to about 1e-5 relative and the weights to about 1e-4 of their scale.
// TF32 products round their inputs to 10 mantissa bits, so they get a looser bound.
const (
	gpuLossTol   = 1e-4
	gpuWeightTol = 1e-3
	tf32LossTol  = 1e-2
)

// TestCUDAMatchesCPU trains the same small network (same seed, same batches) for a few
// steps on the CPU and on the GPU, for each cell type, and compares the losses step by step
// and the weights at the end. It skips where there is no GPU (CI).
func TestCUDAMatchesCPU(t *testing.T) {
	if err := cuda.Available(); err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	const steps = 5
	for _, cell := range []string{"RNN", "LSTM", "GRU", "UGRNN"} {
		for _, device := range []string{"cuda", "cuda-tf32"} {
			t.Run(cell+"/"+device, func(t *testing.T) {
				cfg, err := config.Preset(config.PresetQuick)
				if err != nil {
					t.Fatal(err)
				}
				if err := config.ApplySets(&cfg, []string{"model.ng=64", "encoding.np=64", "trajectory.batch_size=20",
					"trajectory.sequence_length=10", "model.rnn_type=" + cell, "training.weight_decay=1e-4"}); err != nil {
					t.Fatal(err)
				}
				gpu, _, err := NewBackend(device)
				if err != nil {
					t.Fatal(err)
				}
				lc, wc := trainSteps(t, cfg, cpu.New(nil), steps)
				lg, wg := trainSteps(t, cfg, gpu, steps)
				lossTol := gpuLossTol
				if device == "cuda-tf32" {
					lossTol = tf32LossTol
				}
				for i := range lc {
					if d := math.Abs(lg[i]-lc[i]) / math.Abs(lc[i]); d > lossTol || math.IsNaN(lg[i]) {
						t.Errorf("step %d: loss %.7g on %s, %.7g on cpu (rel. diff %.2g > %.0g)", i+1, lg[i], gpu.Name(), lc[i], d, lossTol)
					}
				}
				if device == "cuda" {
					for name, c := range wc {
						g := wg[name]
						var scale, worst float64
						for j := range c {
							scale = max(scale, math.Abs(float64(c[j])))
							worst = max(worst, math.Abs(float64(g[j]-c[j])))
						}
						if worst > gpuWeightTol*max(scale, 1e-3) {
							t.Errorf("%s: max |gpu − cpu| = %.3g after %d steps (scale %.3g, tol %.0g·scale)", name, worst, steps, scale, gpuWeightTol)
						}
					}
				}
				t.Logf("%s: losses cpu %.6f … %.6f, gpu %.6f … %.6f", gpu.Name(), lc[0], lc[steps-1], lg[0], lg[steps-1])
			})
		}
	}
}

// trainSteps runs steps training steps of cfg's run on backend b, on batches from the run's
// own seeded generator, and returns the losses and the final weights by name.
func trainSteps(t *testing.T, cfg config.Config, b compute.Backend, steps int) ([]float64, map[string][]float32) {
	t.Helper()
	r, err := newRun("", cfg, Options{Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	B, T := cfg.Trajectory.BatchSize, cfg.Trajectory.SequenceLength
	np := r.code.Np()
	gen, err := sim.New(r.simP, rand.NewPCG(cfg.Seed, streamTrajectory))
	if err != nil {
		t.Fatal(err)
	}
	sb := sim.NewBatch(B, T)
	nb := nn.Batch{B: B, T: T, InitCode: make([]float32, B*np), Targets: make([]float32, T*B*np)}
	var losses []float64
	for range steps {
		gen.Next(sb)
		fillBatch(r.code, sb, &nb)
		losses = append(losses, r.trainStep(nb))
	}
	w := map[string][]float32{}
	for _, p := range r.model.Params() {
		d := make([]float32, p.Value.Rows()*p.Value.Cols())
		b.Download(d, p.Value)
		w[fmt.Sprint(p.Name)] = d
	}
	return losses, w
}
