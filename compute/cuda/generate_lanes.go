//go:build !nocuda

package cuda

import (
	"fmt"

	"github.com/gridcells/gridcells/compute"
)

// maxGenLanes is the most lanes one launch takes: gridDim.y ≤ 65535.
const maxGenLanes = 65535

// BatchGeneratorLanes launches the batch generators of an ensemble's lanes (package
// compute/ensemble) together: one gc_gen_walk and one gc_gen_place launch for all lanes,
// lane blockIdx.y, where one launch per lane leaves the GPU half idle (64 lanes of B 200,
// T 20, Np 512 on an H100: 64 gc_gen_place launches of 10 µs each, 0.66 ms a training step,
// for 550 MB of codes, which one launch can write in about 0.2 ms). Each lane keeps its
// own generator's parameters (centres, kind, widths, key, walk), and its values are those of
// its generator launched alone, bit for bit: a generator's own launches are those of one lane,
// running the same code on the same parameters (generate.cu).
type BatchGeneratorLanes struct {
	b        *Backend
	gens     []*BatchGenerator
	B, T, np int
	recs     *tensor  // the lanes' gen_lane records, in lane order
	index    *tensor  // the lanes' batch indices (low word, high word), when they differ
	words    []uint32 // index's host copy
}

// NewBatchGeneratorLanes returns the lanes gens, gens[k] lane k, and uploads their
// parameters. The generators must be of one backend, share B, T and Np, be at most 65,535,
// and stay unfreed while the result is used; otherwise it panics.
func NewBatchGeneratorLanes(gens []*BatchGenerator) *BatchGeneratorLanes {
	if len(gens) < 1 || len(gens) > maxGenLanes {
		panic(fmt.Sprintf("cuda: NewBatchGeneratorLanes of %d generators: want 1 to %d", len(gens), maxGenLanes))
	}
	g0 := gens[0]
	words := make([]uint32, 0, len(gens)*genLaneWords)
	for k, g := range gens {
		switch {
		case g == nil || g.lane == nil:
			panic(fmt.Sprintf("cuda: NewBatchGeneratorLanes: generator %d is nil or freed", k))
		case g.b != g0.b:
			panic(fmt.Sprintf("cuda: NewBatchGeneratorLanes: generator %d belongs to another backend than generator 0", k))
		case g.w.B != g0.w.B || g.w.T != g0.w.T || g.np != g0.np:
			panic(fmt.Sprintf("cuda: NewBatchGeneratorLanes: generator %d has B=%d, T=%d, Np=%d; generator 0 B=%d, T=%d, Np=%d",
				k, g.w.B, g.w.T, g.np, g0.w.B, g0.w.T, g0.np))
		}
		words = append(words, g.rec[:]...)
	}
	b := g0.b
	return &BatchGeneratorLanes{b: b, gens: append([]*BatchGenerator(nil), gens...), B: g0.w.B, T: g0.w.T, np: g0.np,
		recs: b.uploadWords(words)}
}

// Lanes returns the number of lanes K.
func (l *BatchGeneratorLanes) Lanes() int { return len(l.gens) }

// Generate queues, for every lane k, what gens[k].Generate(index[k], vel[k], initCode[k],
// targets[k], pos[k], initPos[k]) would: batch index[k] of lane k's walk and its codes (nil
// initCode and targets for walk-only generators). Each argument holds one tensor per lane, as
// ensemble.Backend.Lane returns the lanes of one ensemble tensor: of the shape Generate
// takes, one leading dimension, in one allocation, lane k's at k times the distance between
// lanes 0 and 1 from lane 0's; the outputs' lanes must not overlap. It returns without
// waiting. Other tensors panic.
func (l *BatchGeneratorLanes) Generate(index []uint64, vel, initCode, targets, pos, initPos []compute.Tensor) {
	const op = "BatchGeneratorLanes.Generate"
	K, B, T := len(l.gens), l.B, l.T
	if len(index) != K {
		panic(fmt.Sprintf("cuda: %s: %d batch indices for %d lanes", op, len(index), K))
	}
	if (initCode == nil) != (targets == nil) || (initCode != nil) != (l.np > 0) {
		panic(fmt.Sprintf("cuda: %s: initCode and targets must both be given for generators with place cells (Np = %d) and both nil without", op, l.np))
	}
	v, p, ip := l.lanes(op, "vel", vel, T*B, 2, true), l.lanes(op, "pos", pos, T*B, 2, true), l.lanes(op, "initPos", initPos, B, 2, true)
	var ic, tg laneTensor
	if l.np > 0 {
		ic, tg = l.lanes(op, "initCode", initCode, B, l.np, true), l.lanes(op, "targets", targets, T*B, l.np, true)
	}
	b := l.b
	defer b.enter()()
	// Lanes usually walk the same batch (they step together from the same start): then it is
	// an argument, as for one generator; otherwise the indices go up with the launch.
	var indices *tensor
	for _, i := range index[1:] {
		if i != index[0] {
			indices = l.uploadIndices(index)
			break
		}
	}
	b.genWalk(K, l.recs, B, T, index[0], indices, v, p, ip)
	if l.np > 0 {
		b.genPlace(K, l.recs, l.np, B, T, ip, p, ic, tg)
	}
}

// EncodePositions queues, for every lane k, what gens[k].EncodePositions(pos[k],
// initPos[k], initCode[k], targets[k]) would, in one gc_gen_place launch: lane k's codes of
// lane k's positions (walked elsewhere). The tensors are given lane by lane as for Generate;
// the positions' lanes may overlap (several lanes may encode the same positions). It returns
// without waiting; generators without place cells, or other tensors, panic.
func (l *BatchGeneratorLanes) EncodePositions(pos, initPos, initCode, targets []compute.Tensor) {
	const op = "BatchGeneratorLanes.EncodePositions"
	if l.np == 0 {
		panic("cuda: " + op + " on generators without place cells")
	}
	B, T := l.B, l.T
	p, ip := l.lanes(op, "pos", pos, T*B, 2, false), l.lanes(op, "initPos", initPos, B, 2, false)
	ic, tg := l.lanes(op, "initCode", initCode, B, l.np, true), l.lanes(op, "targets", targets, T*B, l.np, true)
	defer l.b.enter()()
	l.b.genPlace(len(l.gens), l.recs, l.np, B, T, ip, p, ic, tg)
}

// uploadIndices queues the upload of the lanes' batch indices, (low word, high word) each, and
// returns their tensor. The upload is ordered on the stream after the launches that read the
// previous indices.
func (l *BatchGeneratorLanes) uploadIndices(index []uint64) *tensor {
	l.words = l.words[:0]
	for _, i := range index {
		l.words = append(l.words, uint32(i), uint32(i>>32))
	}
	if l.index == nil {
		l.index = l.b.alloc(1, len(l.words))
	}
	l.b.Upload(l.index, wordsAsFloats(l.words))
	return l.index
}

// lanes checks that ts holds one rows×cols tensor per lane of this backend, laid out as the
// lanes of one ensemble tensor (see Generate), and returns lane 0's tensor and the distance
// between lanes. For an output (out), the lanes must not overlap: one launch writes them all
// at once, where separate launches would have written them in turn. what names the argument
// in panics.
func (l *BatchGeneratorLanes) lanes(op, what string, ts []compute.Tensor, rows, cols int, out bool) laneTensor {
	K := len(l.gens)
	if len(ts) != K {
		panic(fmt.Sprintf("cuda: %s: %d %s tensors for %d lanes", op, len(ts), what, K))
	}
	lt := laneTensor{t: l.b.t(ts[0])}
	if K > 1 {
		d := int(l.b.t(ts[1]).ptr) - int(lt.t.ptr)
		lt.stride = d / 4
	}
	for k, x := range ts {
		t := l.b.t(x)
		if t.rows != rows || t.cols != cols {
			shapeErr(fmt.Sprintf("%s (B=%d, T=%d, Np=%d): lane %d of %s, want %d×%d", op, l.B, l.T, l.np, k, what, rows, cols), x)
		}
		if t.ld != lt.t.ld || t.end != lt.t.end || int(t.ptr) != int(lt.t.ptr)+4*k*lt.stride {
			panic(fmt.Errorf("%w: %s: lane %d of %s is not at %d × the distance of lanes 0 and 1 from lane 0 in one allocation, with one leading dimension (%d×%d, ld %d; lane 0 ld %d)",
				compute.ErrView, op, k, what, k, t.rows, t.cols, t.ld, lt.t.ld))
		}
	}
	if out && K > 1 && overlap(lt, K) {
		panic(fmt.Errorf("%w: %s: the %d lanes of %s overlap (%d×%d, ld %d, %d floats apart)", compute.ErrView, op, K, what, rows, cols, lt.t.ld, lt.stride))
	}
	return lt
}

// overlap reports whether K lanes of lt may share an element: unless they sit side by side
// within each row (an ensemble's lanes: at least cols apart, all within ld) or one after
// another (at least a whole lane apart).
func overlap(lt laneTensor, K int) bool {
	s, t := lt.stride, lt.t
	if s < 0 {
		s = -s
	}
	sideBySide := s >= t.cols && (K-1)*s+t.cols <= t.ld
	apart := s >= (t.rows-1)*t.ld+t.cols
	return !sideBySide && !apart
}

// Free releases the lanes' uploaded parameters (not the generators); l must not be used
// after.
func (l *BatchGeneratorLanes) Free() {
	if l.recs != nil {
		l.b.Free(l.recs)
		l.recs = nil
	}
	if l.index != nil {
		l.b.Free(l.index)
		l.index = nil
	}
}
