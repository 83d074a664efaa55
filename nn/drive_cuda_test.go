//go:build !nocuda

package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/compute/cuda"
	"github.com/gridcells/gridcells/compute/ensemble"
	"github.com/gridcells/gridcells/internal/cudaemu"
)

// Tolerances of the GPU comparisons of the fused input products, float32 against float32:
// the fused and unfused GPU models differ only in the order of a few sums per element
// (about 1e-7 relative each), the GPU and the CPU also in cuBLAS's blocking and the
// double-precision reductions (train's TestCUDAMatchesCPU bounds those at 1e-4 and 1e-3).
const (
	drivenGPULossTol = 1e-5 // relative, fused against unfused GPU
	drivenGPUGradTol = 1e-4 // of the gradient's largest magnitude, fused against unfused GPU
	drivenCPULossTol = 1e-4 // relative, GPU against CPU
	drivenCPUGradTol = 1e-3 // of the gradient's largest magnitude, GPU against CPU
)

// TestEmulatedCUDADriven runs TestCUDADriven* and TestCUDAStartStepUntil in a child process
// against internal/cudaemu (see cudaemu.RunTests); it skips where g++ is missing or a real
// GPU runs them directly.
func TestEmulatedCUDADriven(t *testing.T) {
	cudaemu.RunTests(t, `^TestCUDA(Driven|StartStepUntil)`, "TestCUDADriven", "TestCUDADrivenEnsemble", "TestCUDAStartStepUntil")
}

// TestCUDAStartStepUntil gives a GPU step up at each point stop is asked, on one network and
// on an ensemble of two: the step given up leaves queued work that writes no parameter, and
// deferred scalars that are dropped, and the next step is a fresh model's (to 1e-6: cuBLAS
// need not choose the same kernels for a new handle). It skips where there is no GPU.
func TestCUDAStartStepUntil(t *testing.T) {
	if err := cuda.Available(); err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	gpu := func() compute.Backend {
		b, err := cuda.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ens := func() compute.Backend {
		e, err := ensemble.New(gpu(), 2)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	const B, T, tol = 4, 3, 1e-6
	for _, cell := range []Cell{RNN, LSTM} {
		cfg := Config{Cell: cell, Ng: 16, Np: 12, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-3}
		checkStartStepUntil(t, "cuda "+string(cell), gpu, cfg, B, T, tol, 2*T+1)
		checkStartStepUntil(t, "cuda ensemble "+string(cell), ens, cfg, B, T, tol, 2*T+1)
	}
}

// drivenSteps runs steps training steps of cfg (seeded weights, seeded batches of B×T, a
// gradient-descent update of rate 0.1 after each) on b, and returns the losses and the
// last step's gradients by parameter name. With prof set, it profiles the last step and
// returns its operations' names and counts.
func drivenSteps(t *testing.T, b compute.Backend, cfg Config, B, T, steps int, prof bool) ([]float64, map[string][]float32, map[string]int) {
	t.Helper()
	m, err := New(b, cfg, rand.New(rand.NewPCG(11, 12)))
	if err != nil {
		t.Fatal(err)
	}
	var losses []float64
	ops := map[string]int{}
	for step := range steps {
		in := testBatch(rand.New(rand.NewPCG(13, uint64(step))), cfg, B, T)
		if prof && step == steps-1 {
			p := b.(compute.Profiler)
			if err := p.StartProfile(); err != nil {
				t.Fatal(err)
			}
			losses = append(losses, m.Step(in))
			list, _, err := p.StopProfile()
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range list {
				ops[o.Op] += o.Count
			}
		} else {
			losses = append(losses, m.Step(in))
		}
		if step < steps-1 {
			for _, p := range m.Params() {
				b.Axpy(p.Value, -0.1, p.Grad)
			}
		}
	}
	grads := map[string][]float32{}
	for _, p := range m.Params() {
		g := make([]float32, p.Rows*p.Cols)
		b.Download(g, p.Grad)
		grads[p.Name] = g
	}
	return losses, grads, ops
}

// compareRuns fails t where two runs' losses or gradients differ by more than the tolerances.
func compareRuns(t *testing.T, what string, l1, l0 []float64, g1, g0 map[string][]float32, lossTol, gradTol float64) {
	t.Helper()
	for i := range l0 {
		if d := math.Abs(l1[i]-l0[i]) / math.Abs(l0[i]); !(d <= lossTol) {
			t.Errorf("%s: step %d loss %.8g, reference %.8g (rel. diff %.2g > %.0g)", what, i+1, l1[i], l0[i], d, lossTol)
		}
	}
	for name, ref := range g0 {
		scale, worst := 0.0, 0.0
		for j, v := range ref {
			scale = max(scale, math.Abs(float64(v)))
			worst = max(worst, math.Abs(float64(g1[name][j]-v)))
		}
		if !(worst <= gradTol*scale) {
			t.Errorf("%s: ∂/∂%s differs by %.3g (scale %.3g, tolerance %.0g·scale)", what, name, worst, scale, gradTol)
		}
	}
}

// unfusedProducts lists the operations of a profiled step that compute the input product
// of all steps or W_in's gradient as a GEMM: k = nv (x·W_in) or m = nv (xᵀ·dR), sizes that
// no other product of the test's models has.
func unfusedProducts(ops map[string]int, nv int) []string {
	var found []string
	for op := range ops {
		if strings.HasPrefix(op, "cublas") && (strings.HasSuffix(op, fmt.Sprintf(" k=%d", nv)) || strings.Contains(op, fmt.Sprintf(" m=%d ", nv))) {
			found = append(found, op)
		}
	}
	return found
}

// TestCUDADriven trains RNNs (a few steps, plain gradient descent) on the GPU with the fused
// input products, on the GPU without them (Settings.UnfusedInputs) and on the CPU, and
// compares their losses and gradients; a profile of the fused step shows its T launches of
// each fused kernel and no input GEMM, the unfused one its input GEMMs. It skips where there
// is no GPU.
func TestCUDADriven(t *testing.T) {
	if err := cuda.Available(); err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	const B, T, steps = 8, 5, 3
	for _, cfg := range []Config{
		{Cell: RNN, Ng: 32, Np: 16, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-4},
		{Cell: RNN, Ng: 32, Np: 16, Activation: compute.Tanh, Loss: MSE, InputDropout: 0.2},
		{Cell: RNN, Ng: 30, Np: 16, Activation: compute.Sigmoid, Loss: CrossEntropy, Nv: 3}, // the float kernels
	} {
		name := fmt.Sprintf("%s/%s/nv=%d/ng=%d", cfg.Activation, cfg.Loss, cfg.nv(), cfg.Ng)
		t.Run(name, func(t *testing.T) {
			fused, err := cuda.New(nil)
			if err != nil {
				t.Fatal(err)
			}
			if fused.MaxDrivenInputs() == 0 {
				t.Fatal("the default backend does not fuse")
			}
			unfused, err := cuda.New(&cuda.Settings{UnfusedInputs: true})
			if err != nil {
				t.Fatal(err)
			}
			lf, gf, opsF := drivenSteps(t, fused, cfg, B, T, steps, true)
			lu, gu, opsU := drivenSteps(t, unfused, cfg, B, T, steps, true)
			lc, gc, _ := drivenSteps(t, cpu.New(nil), cfg, B, T, steps, false)
			compareRuns(t, "fused against unfused GPU", lf, lu, gf, gu, drivenGPULossTol, drivenGPUGradTol)
			compareRuns(t, "fused GPU against CPU", lf, lc, gf, gc, drivenCPULossTol, drivenCPUGradTol)
			q := ""
			if cfg.Ng%4 == 0 {
				q = "4"
			}
			for _, k := range []string{"gc_activate_driven" + q, "gc_activation_grad_driven" + q} {
				if opsF[k] != T {
					t.Errorf("fused step: %d launches of %s; want %d (ops %v)", opsF[k], k, T, opsF)
				}
				if opsU[k] != 0 {
					t.Errorf("unfused step: %d launches of %s; want none", opsU[k], k)
				}
			}
			if u := unfusedProducts(opsF, cfg.nv()); len(u) > 0 {
				t.Errorf("fused step: input GEMMs %v", u)
			}
			if u := unfusedProducts(opsU, cfg.nv()); len(u) != 2 {
				t.Errorf("unfused step: input GEMMs %v; want the input product and W_in's gradient", u)
			}
		})
	}
}

// TestCUDADrivenEnsemble trains three RNNs as one GPU ensemble with the fused input
// products and each on the CPU, and compares each lane's losses and gradients; a profile of
// the ensemble's step shows one launch of each fused kernel per time step for all lanes. It
// skips where there is no GPU.
func TestCUDADrivenEnsemble(t *testing.T) {
	if err := cuda.Available(); err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	const K, B, T, steps = 3, 8, 5, 2
	cfg := Config{Cell: RNN, Ng: 32, Np: 16, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-4}
	gpu, err := cuda.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ensemble.New(gpu, K)
	if err != nil {
		t.Fatal(err)
	}
	stacked, err := New(e, cfg, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	c := cpu.New(nil)
	models := make([]*Model, K)
	for k := range K {
		if models[k], err = New(c, cfg, rand.New(rand.NewPCG(uint64(k), 7))); err != nil {
			t.Fatal(err)
		}
		for i, p := range models[k].Params() {
			v := make([]float32, p.Rows*p.Cols)
			c.Download(v, p.Value)
			e.UploadLane(stacked.Params()[i].Value, k, v)
		}
	}
	in := stacked.Inputs(B, T)
	for step := range steps {
		batches := make([]Batch, K)
		for k := range K {
			batches[k] = testBatch(rand.New(rand.NewPCG(uint64(k), 8+uint64(step))), cfg, B, T)
			e.UploadLane(in.Vel, k, batches[k].Vel)
			e.UploadLane(in.InitCode, k, batches[k].InitCode)
			e.UploadLane(in.Targets, k, batches[k].Targets)
		}
		if err := e.StartProfile(); err != nil {
			t.Fatal(err)
		}
		stacked.StepLoaded(B, T)
		ops, _, err := e.StopProfile()
		if err != nil {
			t.Fatal(err)
		}
		launches := map[string]int{}
		for _, o := range ops {
			launches[o.Op] += o.Count
		}
		for _, name := range []string{"gc_activate_driven4", "gc_activation_grad_driven4"} {
			if launches[name] != T {
				t.Errorf("step %d: %d launches of %s; want %d, one per time step for all %d lanes", step, launches[name], name, T, K)
			}
		}
		for k, m := range models {
			want := m.Step(batches[k])
			got := stacked.LaneLosses()[k]
			if d := math.Abs(got-want) / math.Abs(want); !(d <= drivenCPULossTol) {
				t.Errorf("step %d lane %d: loss %.8g on the GPU ensemble, %.8g on the CPU", step, k, got, want)
			}
			for i, p := range m.Params() {
				want := make([]float32, p.Rows*p.Cols)
				got := make([]float32, len(want))
				c.Download(want, p.Grad)
				e.DownloadLane(got, stacked.Params()[i].Grad, k)
				scale, worst := 0.0, 0.0
				for j, v := range want {
					scale = max(scale, math.Abs(float64(v)))
					worst = max(worst, math.Abs(float64(got[j]-v)))
				}
				if !(worst <= drivenCPUGradTol*scale) {
					t.Errorf("step %d lane %d: ∂/∂%s differs by %.3g (scale %.3g)", step, k, p.Name, worst, scale)
				}
				// The same update on both sides.
				c.Axpy(p.Value, -0.1, p.Grad)
			}
		}
		for _, p := range stacked.Params() {
			e.Axpy(p.Value, -0.1, p.Grad)
		}
	}
}
