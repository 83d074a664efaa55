package nn

import "github.com/gridcells/gridcells/compute"

// The recurrence of a SimpleRNN on an ensemble whose lanes are grouped (compute.LaneGrouper):
// the T steps of each group in turn rather than all lanes at each step, so that a group's
// recurrent weights can stay in the GPU's L2 cache through its T products (compute.LaneGrouper
// says why). Each lane computes what it computes ungrouped, the same operations on the same
// values, so results do not depend on the grouping (tested bit for bit on the CPU).

// laneGroupWS is one lane group's views of the tensors the recurrence uses.
type laneGroupWS struct {
	b      compute.LaneGroup
	drive  compute.InputDriver // b, when the backend fuses input products
	rT     []compute.Tensor    // r_0 … r_T
	dRT    []compute.Tensor    // ∂/∂r_1 … ∂/∂r_T
	ds0    compute.Tensor      // ∂/∂r_0
	xPlain []compute.Tensor    // x_1 … x_T without dropout
	xDrop  []compute.Tensor    // with dropout, when the model has input dropout
	wRec   compute.Tensor
	wIn    compute.Tensor
	gIn    compute.Tensor
}

// laneGroups returns the group views of s's tensors when its backend groups its lanes and
// this run can use them (one input, no recurrent dropout: the masked products run per gate
// block), building them at first use; nil otherwise.
func (s *simpleWS) laneGroups() []*laneGroupWS {
	w := s.w
	lg, ok := s.c.m.b.(compute.LaneGrouper)
	if !ok || len(w.xs) != 1 || len(w.activeRec) > 0 {
		return nil
	}
	groups := lg.LaneGroups()
	if len(groups) == 0 {
		return nil
	}
	if s.groups == nil {
		of := func(g compute.LaneGroup, ts []compute.Tensor) []compute.Tensor {
			v := make([]compute.Tensor, len(ts))
			for i, t := range ts {
				v[i] = g.Of(t)
			}
			return v
		}
		for _, g := range groups {
			gw := &laneGroupWS{b: g, rT: of(g, w.rT), dRT: of(g, w.dRT), ds0: g.Of(w.ds0[0]), xPlain: of(g, w.xPlainT),
				wRec: g.Of(s.c.wRec.Value), wIn: g.Of(s.c.wIn.Value), gIn: g.Of(s.c.wIn.Grad)}
			if len(w.xDropsT) > 0 {
				gw.xDrop = of(g, w.xDropsT[0])
			}
			gw.drive, _ = g.(compute.InputDriver)
			s.groups = append(s.groups, gw)
		}
	}
	return s.groups
}

// inputs returns the group's views of this run's inputs x_1 … x_T (stepInputs).
func (g *laneGroupWS) inputs(dropout bool) []compute.Tensor {
	if dropout {
		return g.xDrop
	}
	return g.xPlain
}

// forwardGroups is forward's recurrence group by group, the recurrent product onto the
// step at beta (forward says why 0 or 1).
func (s *simpleWS) forwardGroups(groups []*laneGroupWS, beta float64) {
	w := s.w
	for _, g := range groups {
		xT := g.inputs(len(w.activeIn) > 0)
		for t := 1; t <= w.T && !w.halted(); t++ { // StartStepUntil: each group's time steps
			g.b.Gemm(false, false, 1, g.rT[t-1], g.wRec, beta, g.rT[t])
			s.activate(g.b, g.drive, g.rT[t], xT[t-1], g.wIn)
		}
	}
}

// backwardGroups is backward's recurrence group by group: ∂/∂a_t (activationGrad), then
// ∂/∂r_{t−1} += ∂/∂a_t·W_recᵀ.
func (s *simpleWS) backwardGroups(groups []*laneGroupWS) {
	w := s.w
	for _, g := range groups {
		xT := g.inputs(len(w.activeIn) > 0)
		for t := w.T; t >= 1 && !w.halted(); t-- {
			da := g.dRT[t-1]
			s.activationGrad(g.b, g.drive, da, g.rT[t], xT[t-1], g.gIn, t)
			carry := g.ds0
			if t > 1 {
				carry = g.dRT[t-2]
			}
			g.b.Gemm(false, true, 1, da, g.wRec, 1, carry)
		}
	}
}
