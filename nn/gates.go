package nn

import "github.com/gridcells/gridcells/compute"

// gateProducts computes the input product x·W_in and the recurrent product h_{t−1}·W_rec of
// a layer with G gate blocks of width Ng (G = 1 for SimpleRNN, 3 for GRU, 4 for LSTM) and
// applies Keras' dropout masks to their left operands.
//
// Keras semantics (keras/layers/rnn simple_rnn.py, lstm.py, gru.py): SimpleRNN uses one input
// mask and one recurrent mask. LSTM and GRU share one input mask between all gates while
// recurrent_dropout = 0 (implementation 2); with recurrent_dropout > 0 Keras falls back to
// implementation 1 ("RNN implementation=2 is not supported when recurrent_dropout is set"),
// which draws an independent mask per gate for the input and for h_{t−1}. Every mask is
// drawn once per sequence.
type gateProducts struct {
	G, ng                            int
	wIn, wRec                        *Param
	wInBlk, gInBlk, wRecBlk, gRecBlk []compute.Tensor // the G column blocks of the weights and gradients
}

func newGateProducts(b compute.Backend, G, ng int, wIn, wRec *Param) *gateProducts {
	return &gateProducts{G: G, ng: ng, wIn: wIn, wRec: wRec,
		wInBlk: colBlocks(b, wIn.Value, G, ng), gInBlk: colBlocks(b, wIn.Grad, G, ng),
		wRecBlk: colBlocks(b, wRec.Value, G, ng), gRecBlk: colBlocks(b, wRec.Grad, G, ng)}
}

// colBlocks returns the n column blocks of width wd of t.
func colBlocks(b compute.Backend, t compute.Tensor, n, wd int) []compute.Tensor {
	v := make([]compute.Tensor, n)
	for k := range n {
		v[k] = b.View(t, 0, k*wd, t.Rows(), wd)
	}
	return v
}

// stepBlocks returns, for each of the per-step tensors zT, its n column blocks of width wd:
// v[step][gate].
func stepBlocks(b compute.Backend, zT []compute.Tensor, n, wd int) [][]compute.Tensor {
	v := make([][]compute.Tensor, len(zT))
	for t, z := range zT {
		v[t] = colBlocks(b, z, n, wd)
	}
	return v
}

// gateWS holds the per-shape buffers of a gateProducts.
type gateWS struct {
	p     *gateProducts
	b     compute.Backend
	w     *workspace
	hm    []compute.Tensor   // per recurrent mask: masked r_0 … r_{T−1}, (T·B)×Ng
	hmT   [][]compute.Tensor // [mask][step]
	tmp   compute.Tensor     // B×Ng
	tmpX  compute.Tensor     // (T·B)×nx, per-gate input dropout only
	tmpXT []compute.Tensor

	// With a backend that can pack a GEMM operand once (compute.PackedGemmer), the T
	// recurrent products of a pass share W_rec (or W_recᵀ backward) packed by
	// packRecurrent instead of repacking it on every step (issue 7).
	pg     compute.PackedGemmer
	wPack  compute.Packed
	packed packedPass
}

// packedPass says which recurrent products wPack currently serves.
type packedPass int

const (
	packedNone     packedPass = iota
	packedForward             // W_rec, for recurrent
	packedBackward            // W_recᵀ, for recurrentGrad
)

func (p *gateProducts) newWorkspace(b compute.Backend, w *workspace) *gateWS {
	s := &gateWS{p: p, b: b, w: w, tmp: w.newTensor(w.B, p.ng)}
	if pg, ok := b.(compute.PackedGemmer); ok {
		s.pg, s.wPack = pg, pg.NewPacked()
	}
	for range w.recMasks {
		hm := w.newTensor(w.T*w.B, p.ng)
		s.hm = append(s.hm, hm)
		s.hmT = append(s.hmT, rowBlocks(b, hm, 0, w.T, w.B))
	}
	if len(w.inMasks) > 1 {
		s.tmpX = w.newTensor(w.T*w.B, p.wIn.Rows)
		s.tmpXT = rowBlocks(b, s.tmpX, 0, w.T, w.B)
	}
	return s
}

// input sets z = x·W_in for all T steps in one GEMM (one per gate with per-gate masks);
// zBlk are z's G column blocks.
func (s *gateWS) input(z compute.Tensor, zBlk []compute.Tensor) {
	b, w, p := s.b, s.w, s.p
	if len(w.xs) == 1 {
		b.Gemm(false, false, 1, w.xs[0], p.wIn.Value, 0, z)
		return
	}
	for g := range p.G {
		b.Gemm(false, false, 1, w.xs[g], p.wInBlk[g], 0, zBlk[g])
	}
}

// inputGrad sets ∂loss/∂W_in from dz (∂loss/∂(x·W_in), all steps) and, if needDX, w.dX,
// the gradient w.r.t. the layer input before dropout.
func (s *gateWS) inputGrad(dz compute.Tensor, dzBlk []compute.Tensor, needDX bool) {
	b, w, p := s.b, s.w, s.p
	if len(w.xs) == 1 {
		b.Gemm(true, false, 1, w.xs[0], dz, 0, p.wIn.Grad)
		if needDX {
			s.inputDX(dz)
		}
		return
	}
	for g := range p.G {
		b.Gemm(true, false, 1, w.xs[g], dzBlk[g], 0, p.gInBlk[g])
	}
	if needDX {
		b.Fill(w.dX, 0)
		for g := range p.G {
			b.Gemm(false, true, 1, dzBlk[g], p.wInBlk[g], 0, s.tmpX)
			for t := range w.T {
				b.AddMul(w.dXT[t], s.tmpXT[t], w.activeIn[g])
			}
		}
	}
}

// inputDX sets w.dX, the gradient w.r.t. the layer input before dropout, from dz for a
// single input (len(w.xs) == 1): the part of inputGrad that the fused input products of a
// SimpleRNN (compute.InputDriver, simpleWS) leave to a GEMM.
func (s *gateWS) inputDX(dz compute.Tensor) {
	b, w := s.b, s.w
	b.Gemm(false, true, 1, dz, s.p.wIn.Value, 0, w.dX)
	if len(w.activeIn) == 1 {
		for t := range w.T {
			b.Mul(w.dXT[t], w.dXT[t], w.activeIn[0])
		}
	}
}

// packRecurrent packs W_rec for the recurrent products of the pass about to run: for
// recurrent (forward) or, with backward, W_recᵀ for recurrentGrad. W_rec does not change
// within a pass. With per-gate recurrent dropout the products use column blocks of W_rec
// and stay unpacked. endPass must follow the pass, so that a later update of W_rec is
// never multiplied in its stale packed form.
func (s *gateWS) packRecurrent(backward bool) {
	s.packed = packedNone
	if s.pg == nil || len(s.w.activeRec) > 0 {
		return
	}
	s.pg.Pack(s.wPack, backward, s.p.wRec.Value)
	s.packed = packedForward
	if backward {
		s.packed = packedBackward
	}
}

// endPass drops the packed W_rec of packRecurrent.
func (s *gateWS) endPass() { s.packed = packedNone }

// recurrent sets dst = beta·dst + h_{t−1}·W_rec at step t = k+1 (h masked per gate when
// recurrent dropout is active); dstBlk are dst's G column blocks.
func (s *gateWS) recurrent(k int, dst compute.Tensor, dstBlk []compute.Tensor, beta float64) {
	b, w, p := s.b, s.w, s.p
	h := w.rT[k]
	if s.packed == packedForward {
		s.pg.GemmPacked(false, 1, h, s.wPack, beta, dst)
		return
	}
	if len(w.activeRec) == 0 {
		b.Gemm(false, false, 1, h, p.wRec.Value, beta, dst)
		return
	}
	for g, mk := range w.activeRec {
		b.Mul(s.hmT[g][k], h, mk)
		b.Gemm(false, false, 1, s.hmT[g][k], p.wRecBlk[g], beta, dstBlk[g])
	}
}

// recurrentGrad adds to target the gradient w.r.t. h_{t−1} through the recurrent product,
// given dz = ∂loss/∂(h_{t−1}·W_rec) at that step.
func (s *gateWS) recurrentGrad(dz compute.Tensor, dzBlk []compute.Tensor, target compute.Tensor) {
	b, w, p := s.b, s.w, s.p
	if s.packed == packedBackward {
		s.pg.GemmPacked(false, 1, dz, s.wPack, 1, target)
		return
	}
	if len(w.activeRec) == 0 {
		b.Gemm(false, true, 1, dz, p.wRec.Value, 1, target)
		return
	}
	for g, mk := range w.activeRec {
		b.Gemm(false, true, 1, dzBlk[g], p.wRecBlk[g], 0, s.tmp)
		b.AddMul(target, s.tmp, mk)
	}
}

// recurrentWeightGrad sets ∂loss/∂W_rec = beta·∂loss/∂W_rec + Σ_t h_{t−1}ᵀ·dz_t from dz of
// all steps: one GEMM over all T·B rows (one per gate with per-gate masks). beta = 1 keeps
// the weight-decay gradient already there.
func (s *gateWS) recurrentWeightGrad(dz compute.Tensor, dzBlk []compute.Tensor, beta float64) {
	b, w, p := s.b, s.w, s.p
	if len(w.activeRec) == 0 {
		b.Gemm(true, false, 1, w.rPrev, dz, beta, p.wRec.Grad)
		return
	}
	for g := range w.activeRec {
		b.Gemm(true, false, 1, s.hm[g], dzBlk[g], beta, p.gRecBlk[g])
	}
}
