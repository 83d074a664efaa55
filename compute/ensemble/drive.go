package ensemble

import (
	"fmt"

	"github.com/gridcells/gridcells/compute"
)

var _ compute.InputDriver = (*Backend)(nil)

// MaxDrivenInputs implements compute.InputDriver: the inner backend's limit when it has the
// lane forms (compute.LaneInputDriver), with which the fused operation of every lane is one
// inner operation, and 0 otherwise: lane by lane, the fusion would cost K launches per step
// where the unfused products take one batched GEMM (compute.LaneGemmer), so a model on an
// ensemble fuses only where the inner backend does it for all lanes at once.
func (b *Backend) MaxDrivenInputs() int {
	if ld, ok := b.in.(compute.LaneInputDriver); ok {
		return ld.MaxDrivenInputs()
	}
	return 0
}

// ActivateDriven implements compute.InputDriver: one inner ActivateDrivenLanes on tensors
// that cover every lane, the inner ActivateDriven lane by lane on views that cut columns.
// It panics when the inner backend has no compute.InputDriver.
func (b *Backend) ActivateDriven(dst, pre, x, w compute.Tensor, f compute.Activation) {
	ts, d := b.driven("ActivateDriven", dst, pre, x, w)
	if ld, ok := d.(compute.LaneInputDriver); ok && b.whole(ts...) {
		ld.ActivateDrivenLanes(ts[0].all, ts[1].all, ts[2].all, ts[3].all, f, b.k)
		return
	}
	for k := range b.k {
		d.ActivateDriven(ts[0].lane[k], ts[1].lane[k], ts[2].lane[k], ts[3].lane[k], f)
	}
}

// ActivationGradDriven implements compute.InputDriver as ActivateDriven does.
func (b *Backend) ActivationGradDriven(dst, out, x, gw compute.Tensor, f compute.Activation, beta float64) {
	ts, d := b.driven("ActivationGradDriven", dst, out, x, gw)
	if ld, ok := d.(compute.LaneInputDriver); ok && b.whole(ts...) {
		ld.ActivationGradDrivenLanes(ts[0].all, ts[1].all, ts[2].all, ts[3].all, f, beta, b.k)
		return
	}
	for k := range b.k {
		d.ActivationGradDriven(ts[0].lane[k], ts[1].lane[k], ts[2].lane[k], ts[3].lane[k], f, beta)
	}
}

// driven checks the operands of a fused operation (compute.DrivenDims, against the inner
// backend's limit) and returns them with the inner backend's InputDriver.
func (b *Backend) driven(op string, dst, y, x, w compute.Tensor) ([]*tensor, compute.InputDriver) {
	ts := []*tensor{b.t(dst), b.t(y), b.t(x), b.t(w)}
	d, ok := b.in.(compute.InputDriver)
	if !ok {
		panic(fmt.Sprintf("ensemble: %s: the inner backend %s has no fused input operations (compute.InputDriver)", op, b.in.Name()))
	}
	compute.DrivenDims(op, dst, y, x, w, 1, compute.MaxDriven)
	return ts, d
}
