package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
)

// Gradient-check settings (float64 backend). A central difference with step fdStep has
// truncation error ~fdStep² and rounding error ~1e-16/fdStep, both far below gradTol.
const (
	fdStep = 1e-6
	// gradTol is the largest relative error allowed between the hand-derived gradient and the
	// central difference, per parameter tensor: ‖a − n‖ / max(‖a‖, ‖n‖).
	gradTol = 1e-4
	// gradAbsFloor: parameters whose gradient norm is below this (e.g. a dead ReLU path) are
	// compared in absolute terms instead.
	gradAbsFloor = 1e-9
	// fdEntries is how many entries of each parameter are perturbed (all when fewer).
	fdEntries = 16
)

// testBatch draws a batch whose targets suit the loss: probability rows for cross-entropy,
// values in (−1, 1) for MSE, (r, θ) pairs for polar MSE.
func testBatch(rng *rand.Rand, c Config, B, T int) Batch {
	nv := c.nv()
	in := Batch{B: B, T: T, Vel: make([]float32, T*B*nv), InitCode: make([]float32, B*c.Np), Targets: make([]float32, T*B*c.Np)}
	for i := range in.Vel {
		in.Vel[i] = float32(rng.Float64() - 0.5)
	}
	softmaxRows(rng, in.InitCode, c.Np)
	switch c.Loss {
	case CrossEntropy:
		softmaxRows(rng, in.Targets, c.Np)
	case MSE:
		for i := range in.Targets {
			in.Targets[i] = float32(2*rng.Float64() - 1)
		}
	case PolarMSE:
		for i := 0; i < len(in.Targets); i += 2 {
			in.Targets[i] = float32(0.2 + rng.Float64())
			in.Targets[i+1] = float32((2*rng.Float64() - 1) * math.Pi)
		}
	}
	return in
}

func softmaxRows(rng *rand.Rand, dst []float32, n int) {
	for r := 0; r < len(dst); r += n {
		var s float64
		row := dst[r : r+n]
		for j := range row {
			v := math.Exp(2 * rng.NormFloat64())
			row[j] = float32(v)
			s += v
		}
		for j := range row {
			row[j] = float32(float64(row[j]) / s)
		}
	}
}

// checkGradients compares every parameter gradient of m on in with central differences, with
// the dropout masks drawn once and held fixed.
func checkGradients(t *testing.T, m *Model, in Batch) {
	t.Helper()
	b := m.b
	// Move every parameter off its initial value: zero-initialised biases would put ReLU
	// pre-activations of dead rows exactly on the kink, where the central difference is wrong.
	jitter := rand.New(rand.NewPCG(9, 9))
	for _, p := range m.Params() {
		v := make([]float64, p.Rows*p.Cols)
		b.Download64(v, p.Value)
		for i := range v {
			v[i] += 0.1 * (jitter.Float64() - 0.5)
		}
		b.Upload64(p.Value, v)
	}
	w := m.load(in, "test")
	m.sampleMasks(w)
	m.run(w, true, true)
	pick := rand.New(rand.NewPCG(7, 7))
	for _, p := range m.Params() {
		n := p.Rows * p.Cols
		analytic := make([]float64, n)
		b.Download64(analytic, p.Grad)
		vals := make([]float64, n)
		b.Download64(vals, p.Value)
		idx := pick.Perm(n)
		if len(idx) > fdEntries {
			idx = idx[:fdEntries]
		}
		var diff2, a2, n2 float64
		worst := -1
		var worstErr float64
		for _, i := range idx {
			v := vals[i]
			vals[i] = v + fdStep
			b.Upload64(p.Value, vals)
			lp := m.run(w, true, false)
			vals[i] = v - fdStep
			b.Upload64(p.Value, vals)
			lm := m.run(w, true, false)
			vals[i] = v
			num := (lp - lm) / (2 * fdStep)
			d := analytic[i] - num
			diff2 += d * d
			a2 += analytic[i] * analytic[i]
			n2 += num * num
			if e := math.Abs(d); e > worstErr {
				worst, worstErr = i, e
			}
		}
		b.Upload64(p.Value, vals)
		den := math.Sqrt(max(a2, n2))
		rel := math.Sqrt(diff2) / max(den, gradAbsFloor)
		if rel > gradTol {
			t.Errorf("%s: relative error %.3g > %g (worst entry %d: analytic %.10g)", p.Name, rel, gradTol, worst, analytic[worst])
		}
	}
}

// TestGradients checks the hand-derived BPTT of every cell × activation × loss × dropout ×
// weight-decay combination against finite differences in float64.
func TestGradients(t *testing.T) {
	for _, cell := range []Cell{RNN, SRNN, LSTM, GRU, UGRNN} {
		for _, act := range []compute.Activation{compute.ReLU, compute.Tanh, compute.Sigmoid, compute.Linear} {
			for _, loss := range []Loss{CrossEntropy, MSE, PolarMSE} {
				// Dropout: off, input only, recurrent only, both (per-gate masks for LSTM/GRU).
				for _, drop := range [][2]float64{{0, 0}, {0.3, 0}, {0, 0.4}, {0.3, 0.4}} {
					for _, wd := range []float64{0, 0.05} {
						np := map[Loss]int{CrossEntropy: 5, MSE: 4, PolarMSE: 2}[loss]
						cfg := Config{Cell: cell, Ng: 6, Np: np, Activation: act, Loss: loss, WeightDecay: wd,
							InputDropout: drop[0], RecurrentDropout: drop[1]}
						name := fmt.Sprintf("%s/%s/%s/drop=%v,%v/wd=%v", cell, act, loss, drop[0], drop[1], wd)
						t.Run(name, func(t *testing.T) {
							seed := uint64(len(name))
							m, err := New(cpu.New64(), cfg, rand.New(rand.NewPCG(seed, 1)))
							if err != nil {
								t.Fatal(err)
							}
							checkGradients(t, m, testBatch(rand.New(rand.NewPCG(seed, 2)), cfg, 3, 4))
						})
					}
				}
			}
		}
	}
}

// TestGradientsOptions covers the initialisation conventions and the NFL UGRNN bias decay.
func TestGradientsOptions(t *testing.T) {
	for _, cfg := range []Config{
		{Cell: RNN, Ng: 7, Np: 6, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 0.01, InitConvention: PyTorch},
		{Cell: RNN, Ng: 5, Np: 4, Activation: compute.Tanh, Loss: MSE, Initializer: Orthogonal},
		{Cell: LSTM, Ng: 5, Np: 4, Activation: compute.Tanh, Loss: MSE, Initializer: GlorotNormal, RecurrentDropout: 0.2},
		{Cell: UGRNN, Ng: 5, Np: 6, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 0.05, NFLUGRNNBiasDecay: true},
	} {
		t.Run(fmt.Sprintf("%s/%s/%s", cfg.Cell, cfg.InitConvention, cfg.Initializer), func(t *testing.T) {
			m, err := New(cpu.New64(), cfg, rand.New(rand.NewPCG(3, 4)))
			if err != nil {
				t.Fatal(err)
			}
			checkGradients(t, m, testBatch(rand.New(rand.NewPCG(5, 6)), cfg, 3, 4))
		})
	}
}
