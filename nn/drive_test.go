package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/computetest"
	"github.com/gridcells/gridcells/compute/cpu"
)

// drivenTol bounds the relative difference, in float64, between a model on the fused input
// products (compute.InputDriver) and the same model on the unfused ones: the same sums in
// another order (x·W_in added after the recurrent product, W_in's gradient summed step by
// step), a few ulps of 1e-16 per operation.
const drivenTol = 1e-12

// drivenConfigs are models whose SimpleRNN input is narrow enough to fuse (the RNN's
// velocity, 2 to compute.MaxDriven columns, and an SRNN of Ng = 4, whose embedding input is
// 4 wide and whose backward pass needs the input's gradient), and the RNN with recurrent
// dropout and with 5 inputs, which the fusion leaves to the GEMMs; with flags saying which
// fuse.
func drivenConfigs() []struct {
	cfg   Config
	fused bool
} {
	return []struct {
		cfg   Config
		fused bool
	}{
		{Config{Cell: RNN, Ng: 6, Np: 5, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 0.05}, true},
		{Config{Cell: RNN, Ng: 6, Np: 4, Activation: compute.Tanh, Loss: MSE, InputDropout: 0.3}, true},
		{Config{Cell: RNN, Ng: 5, Np: 2, Activation: compute.Sigmoid, Loss: PolarMSE, Nv: 3}, true},
		{Config{Cell: RNN, Ng: 6, Np: 5, Activation: compute.Linear, Loss: CrossEntropy, Nv: compute.MaxDriven, WeightDecay: 0.05}, true},
		{Config{Cell: SRNN, Ng: 4, Np: 5, Activation: compute.ReLU, Loss: CrossEntropy, InputDropout: 0.3, WeightDecay: 0.05}, true},
		{Config{Cell: SRNN, Ng: 4, Np: 4, Activation: compute.Tanh, Loss: MSE}, true},
		{Config{Cell: RNN, Ng: 6, Np: 5, Activation: compute.ReLU, Loss: CrossEntropy, RecurrentDropout: 0.4}, false},
		{Config{Cell: RNN, Ng: 6, Np: 5, Activation: compute.ReLU, Loss: CrossEntropy, Nv: compute.MaxDriven + 1}, false},
	}
}

// TestGradientsDriven checks the BPTT of the fused input products against central
// differences in float64 (checkGradients), on the unfused reference implementation of
// compute.InputDriver (computetest.InputDriving), and that the models that should fuse do,
// and only those.
func TestGradientsDriven(t *testing.T) {
	for _, tc := range drivenConfigs() {
		cfg := tc.cfg
		name := fmt.Sprintf("%s/%s/%s/nv=%d/drop=%v,%v/wd=%v", cfg.Cell, cfg.Activation, cfg.Loss, cfg.nv(), cfg.InputDropout,
			cfg.RecurrentDropout, cfg.WeightDecay)
		t.Run(name, func(t *testing.T) {
			b := computetest.NewInputDriving(cpu.New64())
			m, err := New(b, cfg, rand.New(rand.NewPCG(uint64(len(name)), 1)))
			if err != nil {
				t.Fatal(err)
			}
			checkGradients(t, m, testBatch(rand.New(rand.NewPCG(uint64(len(name)), 2)), cfg, 3, 4))
			if fused := b.Calls > 0; fused != tc.fused {
				t.Errorf("%d fused operations; want fused = %v", b.Calls, tc.fused)
			}
		})
	}
}

// TestDrivenMatchesUnfused runs two training steps (with a plain gradient-descent update
// between them) of each model of drivenConfigs on the float64 CPU backend with and without
// the fused input products: losses and gradients agree to drivenTol.
func TestDrivenMatchesUnfused(t *testing.T) {
	for _, tc := range drivenConfigs() {
		cfg := tc.cfg
		driving := computetest.NewInputDriving(cpu.New64())
		plain := cpu.New64()
		mf, err := New(driving, cfg, rand.New(rand.NewPCG(5, 6)))
		if err != nil {
			t.Fatal(err)
		}
		mu, _ := New(plain, cfg, rand.New(rand.NewPCG(5, 6)))
		for step := range 2 {
			in := testBatch(rand.New(rand.NewPCG(7, uint64(step))), cfg, 5, 6)
			lf, lu := mf.Step(in), mu.Step(in)
			if math.Abs(lf-lu) > drivenTol*math.Abs(lu) {
				t.Errorf("%s nv=%d step %d: loss %v fused, %v unfused", cfg.Cell, cfg.nv(), step, lf, lu)
			}
			for i, p := range mf.Params() {
				q := mu.Params()[i]
				gf, gu := make([]float64, p.Rows*p.Cols), make([]float64, p.Rows*p.Cols)
				driving.Download64(gf, p.Grad)
				plain.Download64(gu, q.Grad)
				scale := 0.0
				for _, v := range gu {
					scale = max(scale, math.Abs(v))
				}
				for j := range gu {
					if math.Abs(gf[j]-gu[j]) > drivenTol*max(scale, 1e-300) {
						t.Errorf("%s nv=%d step %d: ∂/∂%s[%d] = %v fused, %v unfused", cfg.Cell, cfg.nv(), step, p.Name, j, gf[j], gu[j])
						break
					}
				}
				driving.Axpy(p.Value, -0.1, p.Grad)
				plain.Axpy(q.Value, -0.1, q.Grad)
			}
		}
		if fused := driving.Calls > 0; fused != tc.fused {
			t.Errorf("%s nv=%d: %d fused operations; want fused = %v", cfg.Cell, cfg.nv(), driving.Calls, tc.fused)
		}
	}
}

// TestEnsembleDriven is TestEnsembleMatchesModels for the fused input products: an ensemble
// whose inner backend has their lane forms (computetest.InputDriving over the float32 CPU)
// gives each lane its own model's loss and gradients on that backend, the gradients bit for
// bit, and runs every step's fused operation as one lane operation.
func TestEnsembleDriven(t *testing.T) {
	const K, B, T = 3, 4, 5
	for _, cfg := range []Config{
		{Cell: RNN, Ng: 16, Np: 8, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-4, InputDropout: 0.2},
		{Cell: RNN, Ng: 16, Np: 8, Activation: compute.Tanh, Loss: MSE, Nv: 3},
	} {
		inner := computetest.NewInputDriving(cpu.New(nil))
		s := newLaneStack(t, inner, cfg, K, B, T)
		e, stacked, models, batches := s.e, s.stacked, s.models, s.batches
		// Each model draws its dropout masks from its own generator; the stacked model's
		// lanes get the same ones.
		ws := stacked.workspace(B, T)
		for k, m := range models {
			mw := m.load(batches[k], "test")
			m.sampleMasks(mw)
			for i, mk := range mw.inMasks {
				v := make([]float32, mk.Rows()*mk.Cols())
				inner.Download(v, mk)
				e.UploadLane(ws.inMasks[i], k, v)
			}
		}
		inner.Calls, inner.LaneCalls = 0, 0
		total := stacked.run(ws, true, true)
		if inner.LaneCalls != 2*T || inner.Calls != 0 {
			t.Errorf("%s nv=%d: %d lane and %d single fused operations for a step of %d steps; want %d and 0",
				cfg.Cell, cfg.nv(), inner.LaneCalls, inner.Calls, T, 2*T)
		}
		lanes := slices.Clone(stacked.LaneLosses())
		sum := 0.0
		for k, m := range models {
			want := m.run(m.workspace(B, T), true, true) // on the masks drawn above
			sum += want
			if math.Abs(lanes[k]-want) > laneLossTol*math.Abs(want) {
				t.Errorf("%s nv=%d lane %d: loss %v, its own model %v", cfg.Cell, cfg.nv(), k, lanes[k], want)
			}
			s.checkGrads(t, k, fmt.Sprintf("%s nv=%d", cfg.Cell, cfg.nv()))
		}
		if math.Abs(total-sum) > laneLossTol*math.Abs(sum) {
			t.Errorf("%s nv=%d: loss %v, the models' sum %v", cfg.Cell, cfg.nv(), total, sum)
		}
	}
}

// TestStepAllocsDriven is TestStepAllocs on the fused input products.
func TestStepAllocsDriven(t *testing.T) {
	cfg := Config{Cell: RNN, Ng: 8, Np: 6, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-4, InputDropout: 0.1}
	b := computetest.NewInputDriving(cpu.New(nil))
	m, err := New(b, cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	in := testBatch(rand.New(rand.NewPCG(3, 2)), cfg, 4, 5)
	m.Step(in)
	if b.Calls == 0 {
		t.Fatal("the step did not fuse its input products")
	}
	if n := testing.AllocsPerRun(5, func() { m.Step(in) }); n != 0 {
		t.Errorf("Step allocates %v times per call; want 0", n)
	}
}
