//go:build !nocuda

package cuda

import (
	"github.com/gridcells/gridcells/compute"
)

// The fused input products of compute.InputDriver (kernels.cu, "Driven activations").
//
// Why: a SimpleRNN step adds x_t·W_in, with x_t the 2-column velocity, to the recurrent
// product before φ. As GEMMs, on the H100 for a 64-lane ensemble (Ng 1024, B 200, T 20),
// x·W_in of all steps took 0.40 ms (writing 1 GB, which every step's recurrent GEMM then
// read back at beta = 1) and ∂loss/∂W_in = xᵀ·dR 0.43 ms (reading 1 GB), of a 19 ms step,
// for 2 multiply-adds per element. Here the activation's pass, which reads and writes each
// element anyway, does them: gc_activate_driven adds x·w before φ, and
// gc_activation_grad_driven sums xᵀ·(dR ⊙ φ') over the step's rows into the weight
// gradient, deterministically (a fixed order per column, no atomics).

var (
	_ compute.InputDriver     = (*Backend)(nil)
	_ compute.LaneInputDriver = (*Backend)(nil)
)

// Launch shapes: blocks of 32 columns by driveRows row groups (forward, each block over
// driveChunk rows, so that a single network's few columns still make enough blocks), and
// 32 columns by up to driveGroups row groups over all rows (backward, one block per 32
// columns: the column sums need every row).
const (
	driveRows   = 8
	driveChunk  = 32
	driveGroups = 32 // GC_DRIVE_GROUPS of kernels.cu
)

// MaxDrivenInputs implements compute.InputDriver: compute.MaxDriven, or 0 with
// Settings.UnfusedInputs (GRIDCELLS_FUSED_DRIVE=0).
func (b *Backend) MaxDrivenInputs() int {
	if !b.drive {
		return 0
	}
	return compute.MaxDriven
}

// ActivateDriven implements compute.InputDriver with one gc_activate_driven launch.
func (b *Backend) ActivateDriven(dst, pre, x, w compute.Tensor, f compute.Activation) {
	b.activateDriven("ActivateDriven", dst, pre, x, w, f, 1)
}

// ActivationGradDriven implements compute.InputDriver with one gc_activation_grad_driven
// launch.
func (b *Backend) ActivationGradDriven(dst, out, x, gw compute.Tensor, f compute.Activation, beta float64) {
	b.activationGradDriven("ActivationGradDriven", dst, out, x, gw, f, beta, 1)
}

// ActivateDrivenLanes implements compute.LaneInputDriver: the launch of ActivateDriven over
// every lane's columns, each column computed as in its lane's own launch.
func (b *Backend) ActivateDrivenLanes(dst, pre, x, w compute.Tensor, f compute.Activation, lanes int) {
	b.activateDriven("ActivateDrivenLanes", dst, pre, x, w, f, lanes)
}

// ActivationGradDrivenLanes implements compute.LaneInputDriver as ActivateDrivenLanes does;
// the row groups of the column sums depend on the rows only, so each lane sums as alone.
func (b *Backend) ActivationGradDrivenLanes(dst, out, x, gw compute.Tensor, f compute.Activation, beta float64, lanes int) {
	b.activationGradDriven("ActivationGradDrivenLanes", dst, out, x, gw, f, beta, lanes)
}

func (b *Backend) activateDriven(op string, dst, pre, x, w compute.Tensor, f compute.Activation, lanes int) {
	n, k := compute.DrivenDims(op, dst, pre, x, w, lanes, compute.MaxDriven)
	d, p, xx, ww := b.t(dst), b.t(pre), b.t(x), b.t(w)
	kern, q := laneQuad(kActivateDriven, n, d, p, ww) // x, read as floats, is not among them
	cols := d.cols / q
	grid := (cols + 31) / 32 * ((d.rows + driveChunk - 1) / driveChunk)
	defer b.enter()()
	b.launch(kern, grid, 32, driveRows, ptrArg(d), intArg(d.ld/q), ptrArg(p), intArg(p.ld/q), ptrArg(xx), intArg(xx.ld),
		ptrArg(ww), intArg(ww.ld/q), intArg(d.rows), intArg(cols), intArg(n/q), intArg(k), intArg(kernelActivation(f)), intArg(driveChunk))
}

func (b *Backend) activationGradDriven(op string, dst, out, x, gw compute.Tensor, f compute.Activation, beta float64, lanes int) {
	n, k := compute.DrivenDims(op, dst, out, x, gw, lanes, compute.MaxDriven)
	d, y, xx, g := b.t(dst), b.t(out), b.t(x), b.t(gw)
	kern, q := laneQuad(kActivationGradDriven, n, d, y, g)
	// A block sums all rows of its 32 columns, so its blocks are few when the columns are:
	// a single network of 4096 units read as float4s would be 32 blocks on the H100's 132
	// multiprocessors. Below half a block per multiprocessor, read floats: 4 times the blocks,
	// the same bytes in flight, spread over 4 times the multiprocessors. A column's sums do
	// not depend on the choice (the same row groups, the same order), so lanes stay
	// bit-identical to single calls.
	if q == 4 && (d.cols/4+31)/32 < b.info.SMs/2 {
		kern, q = kActivationGradDriven, 1
	}
	cols := d.cols / q
	// A row group per four rows, at most driveGroups (6 or 7 rows a thread for B = 200, in
	// blocks of 1,024 threads; a thread's rows are a chain of dependent loads and adds):
	// threads enough for a single network's few columns, partials few enough to add. It
	// depends on the rows only, so a lane sums as in its own launch.
	groups := max(1, min(driveGroups, d.rows/4))
	defer b.enter()()
	b.launch(kern, (cols+31)/32, 32, groups, ptrArg(d), intArg(d.ld/q), ptrArg(y), intArg(y.ld/q), ptrArg(xx), intArg(xx.ld),
		ptrArg(g), intArg(g.ld/q), intArg(d.rows), intArg(cols), intArg(n/q), intArg(k), intArg(kernelActivation(f)), f32Arg(beta))
}
