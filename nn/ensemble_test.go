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
	"github.com/gridcells/gridcells/compute/ensemble"
)

// laneLossTol bounds the difference between a lane's loss and its own model's: the same
// float32 values summed in float64 in another order (see compute/ensemble, Exactness).
const laneLossTol = 1e-12

// TestEnsembleMatchesModels builds K models of every cell type with different weights and
// batches, and one model on an ensemble backend holding the same K networks: a training
// step gives each lane its own model's gradients, bit for bit (Ng and Np are multiples of
// 8), and its own loss; Loss (no gradients) too. The gated cells run their gate blocks
// through column-cutting views, the lane-by-lane path of the ensemble.
func TestEnsembleMatchesModels(t *testing.T) {
	const K, B, T = 3, 4, 5
	for _, cell := range []Cell{RNN, SRNN, LSTM, GRU, UGRNN} {
		for _, loss := range []Loss{CrossEntropy, MSE} {
			cfg := Config{Cell: cell, Ng: 16, Np: 8, Activation: compute.ReLU, Loss: loss, WeightDecay: 1e-4}
			if cell == LSTM || cell == GRU {
				cfg.Activation = compute.Tanh
			}
			s := newLaneStack(t, cpu.New(nil), cfg, K, B, T)
			stacked, models, batches := s.stacked, s.models, s.batches
			total := stacked.StepLoaded(B, T)
			lanes := slices.Clone(stacked.LaneLosses())
			evalTotal := stacked.LossLoaded(B, T)
			evalLanes := slices.Clone(stacked.LaneLosses())
			sum := 0.0
			for k, m := range models {
				want := m.Step(batches[k])
				sum += want
				if math.Abs(lanes[k]-want) > laneLossTol*math.Abs(want) {
					t.Errorf("%s/%s lane %d: loss %v, its own model %v", cell, loss, k, lanes[k], want)
				}
				if w := m.Loss(batches[k]); math.Abs(evalLanes[k]-w) > laneLossTol*math.Abs(w) {
					t.Errorf("%s/%s lane %d: evaluation loss %v, its own model %v", cell, loss, k, evalLanes[k], w)
				}
				s.checkGrads(t, k, fmt.Sprintf("%s/%s", cell, loss))
			}
			if math.Abs(total-sum) > laneLossTol*math.Abs(sum) {
				t.Errorf("%s/%s: step loss %v, sum of the models' %v", cell, loss, total, sum)
			}
			evalSum := 0.0
			for _, v := range evalLanes {
				evalSum += v
			}
			if math.Abs(evalTotal-evalSum) > laneLossTol*math.Abs(evalSum) {
				t.Errorf("%s/%s: evaluation loss %v, sum of lanes %v", cell, loss, evalTotal, evalSum)
			}
		}
	}
}

// laneStack is K models on inner, with different weights and batches, and one model on an
// ensemble of inner holding the same K networks: lane k has model k's weights and batch.
type laneStack struct {
	inner   compute.Backend
	e       *ensemble.Backend
	stacked *Model
	models  []*Model
	batches []Batch
}

func newLaneStack(t *testing.T, inner compute.Backend, cfg Config, K, B, T int) laneStack {
	t.Helper()
	e, err := ensemble.New(inner, K)
	if err != nil {
		t.Fatal(err)
	}
	s := laneStack{inner: inner, e: e, models: make([]*Model, K), batches: make([]Batch, K)}
	if s.stacked, err = New(e, cfg, rand.New(rand.NewPCG(0, 0))); err != nil {
		t.Fatal(err)
	}
	in := s.stacked.Inputs(B, T)
	for k := range K {
		if s.models[k], err = New(inner, cfg, rand.New(rand.NewPCG(uint64(k), 7))); err != nil {
			t.Fatal(err)
		}
		for i, p := range s.models[k].Params() {
			inner.Copy(e.Lane(s.stacked.Params()[i].Value, k), p.Value)
		}
		s.batches[k] = testBatch(rand.New(rand.NewPCG(uint64(k), 8)), cfg, B, T)
		e.UploadLane(in.Vel, k, s.batches[k].Vel)
		e.UploadLane(in.InitCode, k, s.batches[k].InitCode)
		e.UploadLane(in.Targets, k, s.batches[k].Targets)
	}
	return s
}

// checkGrads fails the test unless lane k's gradients are model k's, bit for bit.
func (s laneStack) checkGrads(t *testing.T, k int, what string) {
	t.Helper()
	for i, p := range s.models[k].Params() {
		want := make([]float32, p.Rows*p.Cols)
		got := make([]float32, p.Rows*p.Cols)
		s.inner.Download(want, p.Grad)
		s.e.DownloadLane(got, s.stacked.Params()[i].Grad, k)
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("%s lane %d: %s gradient[%d] = %v, its own model %v", what, k, p.Name, j, got[j], want[j])
			}
		}
	}
}

// On a backend that is not an ensemble there are no lane losses.
func TestLaneLossesNil(t *testing.T) {
	cfg := Config{Cell: RNN, Ng: 8, Np: 8, Activation: compute.ReLU, Loss: CrossEntropy}
	m, err := New(cpu.New(nil), cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	m.Step(testBatch(rand.New(rand.NewPCG(2, 2)), cfg, 2, 3))
	if m.LaneLosses() != nil {
		t.Errorf("LaneLosses on the cpu backend = %v, want nil", m.LaneLosses())
	}
}

// TestEnsembleDeferredScalars trains one step of a 3-lane ensemble on the CPU, on the CPU
// with deferred scalars (as the GPU) and on the CPU with lane operations too: the total and
// lane losses and the gradients are the same bits, and with deferral the step waits once for
// its scalars (the losses and weight-decay terms of all lanes), not once per operation.
func TestEnsembleDeferredScalars(t *testing.T) {
	const K, B, T = 3, 4, 5
	cfg := Config{Cell: RNN, Ng: 16, Np: 8, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-3}
	type result struct {
		loss  float64
		lanes []float64
		grads [][]float64
	}
	step := func(inner compute.Backend) result {
		e, err := ensemble.New(inner, K)
		if err != nil {
			t.Fatal(err)
		}
		m, err := New(e, cfg, rand.New(rand.NewPCG(5, 5)))
		if err != nil {
			t.Fatal(err)
		}
		in := m.Inputs(B, T)
		for k := range K {
			b := testBatch(rand.New(rand.NewPCG(uint64(k), 9)), cfg, B, T)
			e.UploadLane(in.Vel, k, b.Vel)
			e.UploadLane(in.InitCode, k, b.InitCode)
			e.UploadLane(in.Targets, k, b.Targets)
		}
		r := result{loss: m.StepLoaded(B, T), lanes: slices.Clone(m.LaneLosses())}
		for _, p := range m.Params() {
			g := make([]float64, p.Rows*p.Cols*K)
			e.Download64(g, p.Grad)
			r.grads = append(r.grads, g)
		}
		return r
	}
	want := step(cpu.New(nil))
	deferring, laneOps := computetest.NewDeferring(cpu.New(nil)), computetest.NewLaneScalars(cpu.New(nil))
	for _, tc := range []struct {
		name  string
		inner compute.Backend
		d     *computetest.Deferring
	}{{"deferred", deferring, deferring}, {"lane operations", laneOps, laneOps.Deferring}} {
		got := step(tc.inner)
		if math.Float64bits(got.loss) != math.Float64bits(want.loss) || got.loss == 0 {
			t.Errorf("%s: loss %v, undeferred %v", tc.name, got.loss, want.loss)
		}
		if !slices.Equal(got.lanes, want.lanes) {
			t.Errorf("%s: lane losses %v, undeferred %v", tc.name, got.lanes, want.lanes)
		}
		for i := range want.grads {
			if !slices.Equal(got.grads[i], want.grads[i]) {
				t.Errorf("%s: gradient %d differs", tc.name, i)
			}
		}
		if tc.d.Waits != 1 {
			t.Errorf("%s: %d waits for the step's scalars, want 1", tc.name, tc.d.Waits)
		}
	}
}
