package nn

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/computetest"
	"github.com/gridcells/gridcells/compute/cpu"
)

// TestLaneGroupsMatch trains an ensemble step with the recurrence run lane group by lane
// group (ensemble.SetLaneGroups) and all lanes at once: the losses and every gradient are the
// same bits, with the input products fused into the activations or not, with input dropout
// and weight decay; the grouped fused run makes one fused call per group and step.
func TestLaneGroupsMatch(t *testing.T) {
	const K, B, T = 5, 4, 6
	for _, tc := range []struct {
		cfg   Config
		fused bool
	}{
		{Config{Cell: RNN, Ng: 16, Np: 8, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-4}, false},
		{Config{Cell: RNN, Ng: 16, Np: 8, Activation: compute.ReLU, Loss: CrossEntropy, WeightDecay: 1e-4}, true},
		{Config{Cell: RNN, Ng: 16, Np: 8, Activation: compute.Tanh, Loss: MSE, InputDropout: 0.3}, true},
		// Three layers: the input is Ng wide, too wide to fuse, and its gradient is needed.
		{Config{Cell: SRNN, Ng: 16, Np: 8, Activation: compute.ReLU, Loss: MSE, InputDropout: 0.3}, false},
	} {
		name := fmt.Sprintf("%s fused=%v dropout=%v", tc.cfg.Cell, tc.fused, tc.cfg.InputDropout)
		inner := func() compute.Backend {
			if tc.fused {
				return computetest.NewInputDriving(cpu.New(nil))
			}
			return cpu.New(nil)
		}
		whole, grouped := newLaneStack(t, inner(), tc.cfg, K, B, T), newLaneStack(t, inner(), tc.cfg, K, B, T)
		grouped.e.SetLaneGroups(2)
		// Two steps: the second runs on the workspace the first left (a product that added
		// onto a stale state would show).
		whole.stacked.StepLoaded(B, T)
		grouped.stacked.StepLoaded(B, T)
		want, got := whole.stacked.StepLoaded(B, T), grouped.stacked.StepLoaded(B, T)
		if math.Float64bits(got) != math.Float64bits(want) || got == 0 {
			t.Errorf("%s: loss %v grouped, %v whole", name, got, want)
		}
		if !slices.Equal(grouped.stacked.LaneLosses(), whole.stacked.LaneLosses()) {
			t.Errorf("%s: lane losses %v grouped, %v whole", name, grouped.stacked.LaneLosses(), whole.stacked.LaneLosses())
		}
		for i, p := range whole.stacked.Params() {
			a, b := make([]float32, K*p.Rows*p.Cols), make([]float32, K*p.Rows*p.Cols)
			whole.e.Download(a, p.Grad)
			grouped.e.Download(b, grouped.stacked.Params()[i].Grad)
			if !slices.Equal(a, b) {
				t.Errorf("%s: %s gradients differ grouped", name, p.Name)
			}
		}
		if ws := grouped.stacked.workspace(B, T).coreWS.(*simpleWS); len(ws.groups) != 3 {
			t.Errorf("%s: the recurrence ran in %d lane groups; want 3", name, len(ws.groups))
		}
		if d, ok := grouped.inner.(*computetest.InputDriving); ok {
			if want := 2 * 2 * T * 3; d.LaneCalls != want {
				t.Errorf("%s: %d fused lane calls in two training steps of 3 groups of %d time steps; want %d", name, d.LaneCalls, T, want)
			}
		}
	}
}
