package sgemm

import "github.com/gridcells/gridcells/internal/workpool"

// PackedB is a right operand op(B) packed once for several products that share it,
// such as the recurrent product h_{t−1}·W_rec of every time step of an RNN: Sgemm
// repacks op(B) on every call (about 1/m of its work per multiply-add, 1/200 for
// the training step's batch), SgemmPacked reads it as PackB left it.
//
// Layout: for each kc-slice [pc, pc+kb) of k, the ⌈n/nr⌉ nr-wide micro-panels of
// op(B)[pc:pc+kb, :] in the order and format packB writes them (panel q at offset
// pc·nPad + q·nr·kb, nPad = n rounded up to nr). Every column block Sgemm's loops
// pack starts at a multiple of nr, so each is a contiguous run of these panels,
// identical to what packB would build: SgemmPacked gives bit-identical results to
// Sgemm with the same kernel and blocking.
//
// The zero value is ready for PackB, which reuses its memory when it is large enough.
type PackedB struct {
	kern       *microKernel
	kc         int
	k, n, nPad int
	data       []float32
	task       packTask // pack's work on the pool, kept here so that packing allocates nothing
}

// K and N are the dimensions of the packed op(B) (k×n).
func (pb *PackedB) K() int { return pb.k }
func (pb *PackedB) N() int { return pb.n }

// PackB packs op(B) into dst, where op(B) is k×n: B is stored n×k when tB is true
// and k×n otherwise, with row stride ldb. It panics on a negative dimension, a too
// small ldb or a too short b, as Sgemm does. dst allocates only when it grows.
func PackB(dst *PackedB, tB bool, k, n int, b []float32, ldb int) {
	if k < 0 || n < 0 {
		panic("sgemm: negative dimension")
	}
	rows, cols := storedB(tB, k, n, ldb)
	dst.reset(currentKernel(), k, n)
	if k == 0 || n == 0 {
		return
	}
	checkBLen(b, rows, cols, ldb)
	dst.pack(tB, b, ldb)
}

// reset sizes pb for a k×n op(B) packed for kern, reusing its memory.
func (pb *PackedB) reset(kern *microKernel, k, n int) {
	pb.kern, pb.kc, pb.k, pb.n = kern, max(1, blocks.kc), k, n
	pb.nPad = roundUp(n, kern.nr)
	size := k * pb.nPad
	if cap(pb.data) < size {
		pb.data = make([]float32, size)
	}
	pb.data = pb.data[:size]
}

// packPart packs columns [j0, j1) (j0 a multiple of nr) of the kc-slice that
// starts at row pc of op(B): the panels packB would write for the whole slice,
// at the same offsets, so that parts packed by different goroutines make up the
// same PackedB.
func (pb *PackedB) packPart(tB bool, b []float32, ldb, pc, j0, j1 int) {
	kb := min(pb.kc, pb.k-pc)
	off := pc*pb.nPad + j0*kb
	packB(pb.kern, pb.data[off:off+kb*roundUp(j1-j0, pb.kern.nr)], tB, b, ldb, pc, j0, kb, j1-j0)
}

// pack packs all of op(B), over the worker pool when it is large enough.
func (pb *PackedB) pack(tB bool, b []float32, ldb int) {
	slices := (pb.k + pb.kc - 1) / pb.kc
	workers := runWorkers()
	if workers == 1 || pb.k*pb.n < minParallelPack {
		for s := range slices {
			pb.packPart(tB, b, ldb, s*pb.kc, 0, pb.n)
		}
		return
	}
	// Enough parts for every worker to take several (a slice per part when k is
	// long, column chunks of a slice when it is short), so that the split stays
	// balanced when a core is busy.
	chunks := min((partsPerWorker*workers+slices-1)/slices, pb.nPad/pb.kern.nr)
	step := roundUp((pb.n+chunks-1)/chunks, pb.kern.nr)
	chunks = (pb.n + step - 1) / step
	pb.task = packTask{pb: pb, tB: tB, b: b, ldb: ldb, chunks: chunks, step: step}
	workpool.Run(&pb.task, slices*chunks, workers)
	pb.task = packTask{} // drop the reference to the caller's b
}

// packTask is PackedB.pack over the worker pool (a workpool.Task): part q packs
// column chunk q%chunks, step columns wide, of kc-slice q/chunks.
type packTask struct {
	pb           *PackedB
	tB           bool
	b            []float32
	ldb          int
	chunks, step int
}

func (t *packTask) Run(q int) {
	j0 := q % t.chunks * t.step
	t.pb.packPart(t.tB, t.b, t.ldb, q/t.chunks*t.pb.kc, j0, min(j0+t.step, t.pb.n))
}

// SgemmPacked computes C = alpha·op(A)·op(B) + beta·C as Sgemm does, with op(B)
// (k×n) taken from pb as PackB packed it. m is the number of rows of op(A) and C;
// A is stored k×m when tA is true and m×k otherwise. It panics as Sgemm does on bad
// dimensions or slices, and if pb was never packed.
func SgemmPacked(tA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	if pb.kern == nil {
		panic("sgemm: SgemmPacked with an unpacked PackedB")
	}
	if m < 0 {
		panic("sgemm: negative dimension")
	}
	n, k := pb.n, pb.k
	if checkAC(tA, m, n, k, alpha, a, lda, beta, c, ldc) {
		return
	}
	blk := blocks
	blk.kc = pb.kc // the k-slices are fixed by the packing
	p := product{
		kern: pb.kern, blk: blk,
		tA: tA, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, beta: beta, c: c, ldc: ldc,
		pb: pb,
	}
	run(&p)
}
