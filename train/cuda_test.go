package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
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
						worst, scale := drift(c, wg[name])
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

// TestCUDAPhiloxBatches trains a run with the Philox walk (trajectory.rng philox) for a few
// steps on the CPU, which walks and encodes on the host, and on the GPU, which generates the
// same walk and its codes on the device (devicegen.go): the losses agree as in
// TestCUDAMatchesCPU. It skips where there is no GPU.
func TestCUDAPhiloxBatches(t *testing.T) {
	if err := cuda.Available(); err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	cfg, err := config.Preset(config.PresetQuick)
	if err != nil {
		t.Fatal(err)
	}
	if err := config.ApplySets(&cfg, []string{"model.ng=64", "encoding.np=64", "trajectory.batch_size=20",
		"trajectory.sequence_length=10", "trajectory.rng=philox"}); err != nil {
		t.Fatal(err)
	}
	gpu, _, err := NewBackend("cuda")
	if err != nil {
		t.Fatal(err)
	}
	const steps = 5
	lc, _ := trainSteps(t, cfg, cpu.New(nil), steps)
	lg, _ := trainSteps(t, cfg, gpu, steps)
	for i := range lc {
		if d := math.Abs(lg[i]-lc[i]) / math.Abs(lc[i]); d > gpuLossTol || math.IsNaN(lg[i]) {
			t.Errorf("step %d: loss %.7g on the GPU (device batches), %.7g on the CPU (rel. diff %.2g > %.0g)", i+1, lg[i], lc[i], d, gpuLossTol)
		}
	}
}

// drift returns the largest |g − c| over the elements of two weight tensors, and the largest
// |c|, the scale it is judged against.
func drift(c, g []float32) (worst, scale float64) {
	for j := range c {
		scale = max(scale, math.Abs(float64(c[j])))
		worst = max(worst, math.Abs(float64(g[j]-c[j])))
	}
	return worst, scale
}

// trainSteps runs steps training steps of cfg's run on backend b, on batches from the run's
// own seeded generator, and returns the losses and the final weights by name. On the GPU the
// run encodes the targets there (devicegen.go) from the same walk.
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
	it := &item{sb: sb}
	for i := range steps {
		gen.Next(sb)
		EncodeBatch(r.code, sb, &nb)
		it.nb, it.index = nb, uint64(i) // index: the Philox walk's batch, for the GPU to generate
		losses = append(losses, r.trainStep(it))
	}
	w := map[string][]float32{}
	for _, p := range r.model.Params() {
		d := make([]float32, p.Value.Rows()*p.Value.Cols())
		b.Download(d, p.Value)
		w[fmt.Sprint(p.Name)] = d
	}
	return losses, w
}

// TestCUDAEnsembleMatchesCPU trains three networks (seeds 7, 8, 9) as one ensemble on the
// GPU and on the CPU for a few steps, for a cell without gates (whole-row operations,
// batched GEMMs), one with (gate blocks lane by lane), and with the Philox walk (whole
// batches made on the GPU, lane by lane), and compares each lane's losses and weights with
// the tolerances of TestCUDAMatchesCPU. It skips where there is no GPU.
func TestCUDAEnsembleMatchesCPU(t *testing.T) {
	if err := cuda.Available(); err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	const steps, lanes = 5, 3
	// group: the RNN's recurrence lane group by lane group (GRIDCELLS_LANE_GROUP).
	for _, tc := range []struct{ cell, rng, group string }{{"RNN", "pcg", ""}, {"LSTM", "pcg", ""}, {"RNN", "philox", ""},
		{"RNN", "pcg", "2"}} {
		t.Run(tc.cell+"/"+tc.rng+"/group"+tc.group, func(t *testing.T) {
			t.Setenv(envLaneGroup, tc.group)
			cfg, err := config.Preset(config.PresetQuick)
			if err != nil {
				t.Fatal(err)
			}
			if err := config.ApplySets(&cfg, []string{"model.ng=64", "encoding.np=64", "trajectory.batch_size=20",
				"trajectory.sequence_length=10", "model.rnn_type=" + tc.cell, "training.weight_decay=1e-4",
				"trajectory.rng=" + tc.rng}); err != nil {
				t.Fatal(err)
			}
			gpu, _, err := NewBackend("cuda")
			if err != nil {
				t.Fatal(err)
			}
			lc, wc := stackSteps(t, cfg, cpu.New(nil), lanes, steps)
			lg, wg := stackSteps(t, cfg, gpu, lanes, steps)
			for k := range lanes {
				for i := range steps {
					if d := math.Abs(lg[k][i]-lc[k][i]) / math.Abs(lc[k][i]); d > gpuLossTol || math.IsNaN(lg[k][i]) {
						t.Errorf("lane %d step %d: loss %.7g on the GPU, %.7g on the CPU (rel. diff %.2g > %.0g)", k, i+1, lg[k][i], lc[k][i], d, gpuLossTol)
					}
				}
				for name, c := range wc[k] {
					worst, scale := drift(c, wg[k][name])
					if worst > gpuWeightTol*max(scale, 1e-3) {
						t.Errorf("lane %d %s: max |gpu − cpu| = %.3g after %d steps (scale %.3g)", k, name, worst, steps, scale)
					}
				}
			}
		})
	}
}

// stackSteps trains lanes networks (seeds cfg.Seed, cfg.Seed+1, …) as one ensemble on b for
// steps steps on batches from each run's own generator, and returns each lane's losses and
// final weights by name.
func stackSteps(t *testing.T, cfg config.Config, b compute.Backend, lanes, steps int) ([][]float64, []map[string][]float32) {
	t.Helper()
	runs, err := seededRuns(cfg, lanes, func() (compute.Backend, error) { return b, nil })
	if err != nil {
		t.Fatal(err)
	}
	st, err := newStack(runs, b)
	if err != nil {
		t.Fatal(err)
	}
	defer st.free()
	B, T := cfg.Trajectory.BatchSize, cfg.Trajectory.SequenceLength
	np := runs[0].code.Np()
	its := make([]*item, lanes)
	sbs := make([]*sim.Batch, lanes)
	for k := range its {
		sbs[k] = sim.NewBatch(B, T)
		its[k] = &item{sb: sbs[k], nb: nn.Batch{B: B, T: T, InitCode: make([]float32, B*np), Targets: make([]float32, T*B*np)}}
	}
	in := st.model.Inputs(B, T)
	losses := make([][]float64, lanes)
	for i := range steps {
		for k, r := range runs {
			r.gen.Next(sbs[k])
			EncodeBatch(r.code, sbs[k], &its[k].nb)
			its[k].index = uint64(i) // the Philox walk's batch, for lanes that generate on the GPU
		}
		for k, l := range st.step(its, in) {
			losses[k] = append(losses[k], l)
		}
	}
	weights := make([]map[string][]float32, lanes)
	for k, r := range runs {
		st.sync(k, false)
		weights[k] = map[string][]float32{}
		for _, p := range r.model.Params() {
			d := make([]float32, p.Rows*p.Cols)
			b.Download(d, p.Value)
			weights[k][p.Name] = d
		}
	}
	return losses, weights
}

// TestCUDAProfile profiles a few training steps of one network and of a two-lane ensemble on
// the GPU: every kind of operation is there with its count per step (one Adam update per
// parameter), the shares add up to 1, and the busy time fits in the span. It skips where
// there is no GPU.
func TestCUDAProfile(t *testing.T) {
	if err := cuda.Available(); err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	cfg, err := config.Preset(config.PresetQuick)
	if err != nil {
		t.Fatal(err)
	}
	if err := config.ApplySets(&cfg, []string{"model.ng=32", "encoding.np=32", "trajectory.batch_size=10",
		"trajectory.sequence_length=5"}); err != nil {
		t.Fatal(err)
	}
	gpu, _, err := NewBackend("cuda")
	if err != nil {
		t.Fatal(err)
	}
	const steps = 3
	one, err := ProfileSteps(context.Background(), cfg, steps, Options{Backend: gpu})
	if err != nil {
		t.Fatal(err)
	}
	two, err := ProfileStacked(context.Background(), cfg, steps, 2, gpu)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		p    ProfileResult
		gemm string
	}{"one network": {one, "cublasSgemm "}, "ensemble of 2": {two, "cublasSgemmStridedBatched "}} {
		if strings.Contains(gpu.Name(), "+cublaslt") {
			tc.gemm = "cublasLtMatmul " // GRIDCELLS_CUBLASLT=1: the products go through cuBLASLt
		}
		p := tc.p
		count := func(prefix string) float64 {
			n := 0.0
			for _, o := range p.Ops {
				if strings.HasPrefix(o.Op, prefix) {
					n += o.Count
				}
			}
			return n
		}
		share := 0.0
		for _, o := range p.Ops {
			share += o.Share
		}
		// RNN: W_enc, W_in, W_rec, W_dec, one Adam update each per step.
		if c := count("gc_adam"); c != 4 {
			t.Errorf("%s: %v Adam updates per step, want 4", name, c)
		}
		if count(tc.gemm) == 0 {
			t.Errorf("%s: no %q in the profile %+v", name, tc.gemm, p.Ops)
		}
		if math.Abs(share-1) > 1e-9 || p.BusyMS <= 0 || p.BusyMS > p.SpanMS*1.001 {
			t.Errorf("%s: shares add to %v, busy %v ms, span %v ms", name, share, p.BusyMS, p.SpanMS)
		}
		t.Logf("%s: busy %.3f ms, span %.3f ms per step, %d kinds of operation", name, p.BusyMS, p.SpanMS, len(p.Ops))
	}
}

// TestCUDAStackedPhilox trains two runs with the Philox walk as one ensemble on the GPU
// through TrainStacked: their batches are made on the device from the batch counter alone
// (no host arrays), and both runs finish. It skips where there is no GPU.
func TestCUDAStackedPhilox(t *testing.T) {
	if err := cuda.Available(); err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	gpu, _, err := NewBackend("cuda")
	if err != nil {
		t.Fatal(err)
	}
	var runs []StackedRun
	for i := range 2 {
		cfg := smallConfig(t)
		cfg.Seed = uint64(11 + i)
		if err := config.ApplySets(&cfg, []string{"model.recurrent_dropout=0", "trajectory.rng=philox",
			"training.device=cuda", "training.n_epochs=1"}); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, StackedRun{Dir: t.TempDir(), Config: &cfg})
	}
	res, err := TrainStacked(context.Background(), runs, gpu, "test")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil || r.Summary.Steps != runs[i].Config.TotalSteps() {
			t.Errorf("lane %d: %v, summary %+v", i, r.Err, r.Summary)
		}
	}
}

// TestCUDALoopLoadsAhead is TestLoopLoadsAhead on the GPU, where loading ahead matters: the
// next batch's upload and code launches are queued while the step runs, and must reach the
// inputs only after the step has read them. For one network with host walks (codes made on
// the GPU) and with the Philox walk made there, and for a two-lane ensemble with host walks,
// the loop's final weights must equal those of its steps one by one (trainSteps, stackSteps)
// on the same kind of backend, bit for bit. On the emulator's lazy streams a copy or kernel
// that ran out of stream order would show here. It skips where there is no GPU.
func TestCUDALoopLoadsAhead(t *testing.T) {
	if err := cuda.Available(); err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	newGPU := func() compute.Backend {
		b, _, err := NewBackend("cuda")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	short := func(t *testing.T, sets ...string) config.Config {
		cfg := smallConfig(t)
		sets = append([]string{"training.n_epochs=1", "training.n_grad_steps_per_epoch=12", "training.eval_every=5",
			"training.checkpoint_every=4", "model.recurrent_dropout=0"}, sets...)
		if err := config.ApplySets(&cfg, sets); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	for _, rng := range []string{"pcg", "philox"} {
		t.Run(rng, func(t *testing.T) {
			cfg := short(t, "trajectory.rng="+rng)
			_, want := trainSteps(t, cfg, newGPU(), cfg.TotalSteps())
			sameAsSteps(t, loopWeights(t, cfg, newGPU()), want)
		})
	}
	t.Run("ensemble", func(t *testing.T) {
		cfg := short(t)
		const lanes = 2
		_, want := stackSteps(t, cfg, newGPU(), lanes, cfg.TotalSteps())
		runs := make([]StackedRun, lanes)
		for k := range runs {
			c := cfg
			c.Seed = cfg.Seed + uint64(k)
			runs[k] = StackedRun{Dir: t.TempDir(), Config: &c}
		}
		res, err := TrainStacked(context.Background(), runs, newGPU(), "test")
		if err != nil {
			t.Fatal(err)
		}
		for k, r := range res {
			if r.Err != nil {
				t.Fatalf("lane %d: %v", k, r.Err)
			}
			got := map[string][]float32{}
			for name, a := range readWeights(t, filepath.Join(runs[k].Dir, finalFile)) {
				got[name] = a.F32
			}
			sameAsSteps(t, got, want[k])
		}
	})
}
