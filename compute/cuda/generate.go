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
type genModule struct{ walk, place uintptr }

// BatchGenerator generates training batches on the GPU: the Philox walk (bit-identical to
// sim's Philox walk with the same key and batch index) and the place-cell codes of its
// positions (encode's code within float32 rounding). Its only state is on the host: the
// centres are uploaded once, and each Generate names its batch index.
type BatchGenerator struct {
	b       *Backend
	w       WalkParams
	walk    [9]float32 // hw, hh, w, h, dt, turnStd, speedScale, border, slow
	np      int
	kind    PlaceKind
	aE, aI  float32
	centres *tensor
	args    *genArgs
}

// genArgs is cuLaunchKernel's argument memory, on the heap where Go does not move it.
type genArgs struct {
	vals [genMaxArgs]uint64
	ptrs [genMaxArgs]uintptr
}

// NewBatchGenerator validates w and p, compiles generate.cu on first use (cached like
// kernels.cu) and uploads the centres. p may be nil for a walk-only generator. Invalid
// parameters return an error naming the field.
func (b *Backend) NewBatchGenerator(w WalkParams, p *PlaceParams) (*BatchGenerator, error) {
	if err := w.validate(); err != nil {
		return nil, err
	}
	g := &BatchGenerator{b: b, w: w, args: &genArgs{}}
	for i := range g.args.ptrs {
		g.args.ptrs[i] = uintptr(unsafe.Pointer(&g.args.vals[i]))
	}
	g.walk = w.float32s()
	if p != nil {
		if err := p.validate(); err != nil {
			return nil, err
		}
		g.np, g.kind = len(p.Centres)/2, p.Kind
		g.aE, g.aI = p.widths()
		if p.Kind == PlaceSoftmaxOfDifferences {
			g.aE = g.aE - g.aI // one softmax of −(a_E − a_I)·d²
		}
	}
	// The driver's current context is per OS thread, and the compile is long enough for the
	// scheduler to move this goroutine.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := b.loadGenerate(); err != nil {
		return nil, err
	}
	if p != nil {
		g.centres = b.alloc(1, len(p.Centres))
		b.Upload(g.centres, p.Centres)
	}
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
	defer b.enter()()
	key := g.w.Key
	grid, block := walkLaunch(B)
	w := g.walk
	g.launch(b.gen.walk, "gc_gen_walk", grid, block, ptrArg(v), intArg(v.ld), ptrArg(p), intArg(p.ld), ptrArg(ip), intArg(ip.ld),
		intArg(B), intArg(T), uint64(uint32(key)), uint64(uint32(key>>32)), uint64(uint32(index)), uint64(uint32(index>>32)),
		f32bits(w[0]), f32bits(w[1]), f32bits(w[2]), f32bits(w[3]), f32bits(w[4]), f32bits(w[5]), f32bits(w[6]),
		f32bits(w[7]), f32bits(w[8]), boolArg(g.w.Periodic))
	if g.np == 0 {
		return
	}
	g.place(p, ip, initCode, targets)
}

func f32bits(v float32) uint64 { return uint64(math.Float32bits(v)) }

func boolArg(v bool) uint64 {
	if v {
		return 1
	}
	return 0
}

// launch queues fn on a grid of gx blocks of bx threads with args, each in an 8-byte slot
// read from its start as the backend's launch does.
func (g *BatchGenerator) launch(fn uintptr, name string, gx, bx int, args ...uint64) {
	copy(g.args.vals[:], args)
	g.b.timeStart(func() string { return name })
	r := call(g.b.a.cuLaunchKernel, fn, uintptr(gx), 1, 1, uintptr(bx), 1, 1, 0, g.b.stream,
		uintptr(unsafe.Pointer(&g.args.ptrs[0])), 0)
	g.b.timeEnd()
	if r != 0 {
		err := g.b.a.check("cuLaunchKernel", r)
		err.(*CUDAError).Info = name
		panic(err)
	}
}

// Free releases the uploaded centres; g must not be used after.
func (g *BatchGenerator) Free() {
	if g.centres != nil {
		g.b.Free(g.centres)
		g.centres = nil
	}
}
