//go:build !nocuda

package cuda

import (
	"fmt"
	"math"
	"runtime"
	"unsafe"

	"github.com/gridcells/gridcells/compute"
)

// generateNames are generate.cu's entry points.
var generateNames = []string{"gc_gen_walk", "gc_gen_place"}

// genModule is generate.cu loaded on a backend's context.
type genModule struct{ walk, place kfn }

// BatchGenerator generates training batches on the GPU: the Philox walk (bit-identical to
// sim's Philox walk with the same key and batch index) and the place-cell codes of its
// positions (encode's code within float32 rounding). Its only state is on the host: the
// centres and its parameters (its gen_lane record) are uploaded once, and each Generate names
// its batch index. The generators of an ensemble's lanes launch together through
// BatchGeneratorLanes.
type BatchGenerator struct {
	b       *Backend
	w       WalkParams
	np      int
	centres *tensor
	rec     laneRecord // the kernels' parameters (generate.cu's gen_lane)
	lane    *tensor    // rec on the device: the one lane of this generator's launches
}

// laneRecord is generate.cu's gen_lane: GEN_LANE_WORDS 32-bit words, every field one word,
// in the struct's order.
type laneRecord [genLaneWords]uint32

// genLaneWords is GEN_LANE_WORDS.
const genLaneWords = 17

// newLaneRecord returns the gen_lane of a generator: the centres' device address (0 for none),
// the code's kind and widths, the Philox key and the walk's float32 parameters.
func newLaneRecord(centres uintptr, kind PlaceKind, aE, aI float32, key uint64, walk [9]float32, periodic bool) laneRecord {
	var r laneRecord
	r[0], r[1] = uint32(centres), uint32(uint64(centres)>>32)
	r[2] = uint32(kind)
	r[3], r[4] = math.Float32bits(aE), math.Float32bits(aI)
	r[5], r[6] = uint32(key), uint32(key>>32)
	for i, v := range walk { // gen_walk: hw, hh, w, h, dt, turn_std, speed_scale, border, slow, periodic
		r[7+i] = math.Float32bits(v)
	}
	if periodic {
		r[16] = 1
	}
	return r
}

// uploadWords uploads words into a new 1×len(words) tensor, bit for bit (the kernels read
// them as the fields of their records, not as floats).
func (b *Backend) uploadWords(words []uint32) *tensor {
	t := b.alloc(1, len(words))
	b.Upload(t, wordsAsFloats(words))
	return t
}

// wordsAsFloats returns words' memory as float32s, which Upload copies bit for bit.
func wordsAsFloats(words []uint32) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(&words[0])), len(words))
}

// NewBatchGenerator validates w and p, compiles generate.cu on first use (cached like
// kernels.cu) and uploads the centres. p may be nil for a walk-only generator. Invalid
// parameters return an error naming the field.
func (b *Backend) NewBatchGenerator(w WalkParams, p *PlaceParams) (*BatchGenerator, error) {
	if err := w.validate(); err != nil {
		return nil, err
	}
	g := &BatchGenerator{b: b, w: w}
	kind, aE, aI := PlaceGaussian, float32(0), float32(0)
	if p != nil {
		if err := p.validate(); err != nil {
			return nil, err
		}
		g.np, kind = len(p.Centres)/2, p.Kind
		aE, aI = p.widths()
		if p.Kind == PlaceSoftmaxOfDifferences {
			aE = aE - aI // one softmax of −(a_E − a_I)·d²
		}
	}
	// The driver's current context is per OS thread, and the compile is long enough for the
	// scheduler to move this goroutine.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := b.loadGenerate(); err != nil {
		return nil, err
	}
	var centres uintptr
	if p != nil {
		g.centres = b.alloc(1, len(p.Centres))
		b.Upload(g.centres, p.Centres)
		centres = g.centres.ptr
	}
	g.rec = newLaneRecord(centres, kind, aE, aI, w.Key, w.float32s(), w.Periodic)
	g.lane = b.uploadWords(g.rec[:])
	return g, nil
}

// loadGenerate compiles and loads generate.cu once per backend, as loadKernels does
// kernels.cu.
func (b *Backend) loadGenerate() error {
	if b.gen != nil {
		return nil
	}
	fns, err := b.loadModule(generateSource, generateNames)
	if err != nil {
		return err
	}
	b.gen = &genModule{walk: fns[0], place: fns[1]}
	return nil
}

// Np is the number of place cells, 0 for a walk-only generator.
func (g *BatchGenerator) Np() int { return g.np }

// Generate queues batch index of the walk and its codes on the backend's stream: vel and pos
// ((T·B)×2, row t·B + b: input and target t of trajectory b), initPos (B×2), and, for a
// generator with place cells, initCode (B×Np, the code of initPos) and targets ((T·B)×Np, the
// code of pos); a walk-only generator takes nil for both. Tensors may be views. It returns
// without waiting. Tensors of the wrong shape or of another backend panic.
func (g *BatchGenerator) Generate(index uint64, vel, initCode, targets, pos, initPos compute.Tensor) {
	b, B, T := g.b, g.w.B, g.w.T
	v, p, ip := b.t(vel), b.t(pos), b.t(initPos)
	if v.rows != T*B || v.cols != 2 || p.rows != T*B || p.cols != 2 || ip.rows != B || ip.cols != 2 {
		shapeErr(fmt.Sprintf("Generate (B=%d, T=%d): vel, pos (T·B)×2, initPos B×2", B, T), vel, pos, initPos)
	}
	if (initCode == nil) != (targets == nil) || (initCode != nil) != (g.np > 0) {
		panic(fmt.Sprintf("cuda: Generate: initCode and targets must both be given for a generator with place cells (Np = %d) and both nil without", g.np))
	}
	var ic, tg *tensor
	if g.np > 0 {
		ic, tg = g.codes(initCode, targets)
	}
	defer b.enter()()
	b.genWalk(1, g.lane, B, T, index, nil, laneTensor{t: v}, laneTensor{t: p}, laneTensor{t: ip})
	if g.np > 0 {
		b.genPlace(1, g.lane, g.np, B, T, laneTensor{t: ip}, laneTensor{t: p}, laneTensor{t: ic}, laneTensor{t: tg})
	}
}

// laneTensor is the tensor of lane 0 of a launch and the distance, in floats, from a lane's
// tensor to the next lane's: lane l's tensor is t moved by l·stride floats (stride 0 for a
// launch of one lane).
type laneTensor struct {
	t      *tensor
	stride int
}

// genWalk launches gc_gen_walk over lanes lanes, lane l with record l of rec: it walks batch
// index (or indices' pair l, low word and high word, when indices is not nil) into its lane of
// vel, pos and initPos, whose shapes the caller has checked.
func (b *Backend) genWalk(lanes int, rec *tensor, B, T int, index uint64, indices *tensor, vel, pos, initPos laneTensor) {
	grid, block := walkLaunch(B)
	b.genLaunch(b.gen.walk, "gc_gen_walk", lanes, grid, block,
		ptrArg(vel.t), intArg(vel.t.ld), longArg(vel.stride), ptrArg(pos.t), intArg(pos.t.ld), longArg(pos.stride),
		ptrArg(initPos.t), intArg(initPos.t.ld), longArg(initPos.stride), intArg(B), intArg(T), ptrArg(rec),
		uint64(uint32(index)), uint64(uint32(index>>32)), ptrArg(indices))
}

// genPlace launches gc_gen_place over lanes lanes of np cells, lane l with record l of rec: the
// codes of its lane of initPos into initCode and of pos into targets, whose shapes the caller
// has checked.
func (b *Backend) genPlace(lanes int, rec *tensor, np, B, T int, initPos, pos, initCode, targets laneTensor) {
	rows := B * (T + 1)
	grid, block := placeLaunch(np, rows)
	b.genLaunch(b.gen.place, "gc_gen_place", lanes, grid, block,
		ptrArg(initCode.t), intArg(initCode.t.ld), longArg(initCode.stride), ptrArg(targets.t), intArg(targets.t.ld), longArg(targets.stride),
		ptrArg(initPos.t), intArg(initPos.t.ld), longArg(initPos.stride), ptrArg(pos.t), intArg(pos.t.ld), longArg(pos.stride),
		ptrArg(rec), intArg(np), intArg(B), intArg(rows))
}

// genLaunch queues fn on a grid of gx×lanes blocks of bx threads with args. The profiler
// names it kernel, with the lane count when there are several (a launch for an ensemble's
// lanes).
func (b *Backend) genLaunch(fn kfn, kernel string, lanes, gx, bx int, args ...uint64) {
	b.launchFn(fn, laneName(kernel, lanes), gx, lanes, bx, 1, args...)
}

// laneName is a generator launch's name in profiles and errors: the kernel, and "lanes=K" for
// an ensemble's launch, which gemmName's batched products also carry.
func laneName(kernel string, lanes int) string {
	if lanes == 1 {
		return kernel
	}
	return fmt.Sprintf("%s lanes=%d", kernel, lanes)
}

// Free releases the uploaded centres and parameters; g must not be used after, nor a
// BatchGeneratorLanes made of it.
func (g *BatchGenerator) Free() {
	if g.centres != nil {
		g.b.Free(g.centres)
		g.centres = nil
	}
	if g.lane != nil {
		g.b.Free(g.lane)
		g.lane = nil
	}
}
