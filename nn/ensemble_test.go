package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gridcells/gridcells/compute"
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
			inner := cpu.New(nil)
			e, err := ensemble.New(inner, K)
			if err != nil {
				t.Fatal(err)
			}
			stacked, err := New(e, cfg, rand.New(rand.NewPCG(0, 0)))
			if err != nil {
				t.Fatal(err)
			}
			models := make([]*Model, K)
			batches := make([]Batch, K)
			in := stacked.Inputs(B, T)
			for k := range K {
				if models[k], err = New(inner, cfg, rand.New(rand.NewPCG(uint64(k), 7))); err != nil {
					t.Fatal(err)
				}
				for i, p := range models[k].Params() {
					inner.Copy(e.Lane(stacked.Params()[i].Value, k), p.Value)
				}
				batches[k] = testBatch(rand.New(rand.NewPCG(uint64(k), 8)), cfg, B, T)
				e.UploadLane(in.Vel, k, batches[k].Vel)
				e.UploadLane(in.InitCode, k, batches[k].InitCode)
				e.UploadLane(in.Targets, k, batches[k].Targets)
			}
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
				for i, p := range m.Params() {
					want := make([]float32, p.Rows*p.Cols)
					got := make([]float32, p.Rows*p.Cols)
					inner.Download(want, p.Grad)
					e.DownloadLane(got, stacked.Params()[i].Grad, k)
					for j := range want {
						if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
							t.Fatalf("%s/%s lane %d: %s gradient[%d] = %v, its own model %v", cell, loss, k, p.Name, j, got[j], want[j])
						}
					}
				}
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
