//go:build !nocuda

package cuda

import (
	"fmt"
	"unsafe"

	"github.com/gridcells/gridcells/compute"
)

var (
	_ compute.LaneGemmer     = (*Backend)(nil)
	_ compute.ScalarDeferrer = (*Backend)(nil)
	_ compute.LaneScalarer   = (*Backend)(nil)
)

// maxDeferred is the most sums DeferScalars queues before CollectScalars (a lane's loss and
// weight-decay term for 2048 lanes).
const maxDeferred = 4096

// deferredScalars are the sums queued between DeferScalars and CollectScalars: sum i is
// written by gc_reduce to the device double results[i], and scaled by scales[i] when
// collected.
type deferredScalars struct {
	results *tensor // doubles, as pairs of float32 slots
	scales  []float64
	host    []float64

	// Between QueueScalars and CollectScalars: the sums are on their way to the host, into
	// pinned memory (pinned.go) with the event recorded after that copy, or, without pinned
	// copies, still on the device (CollectScalars copies them and waits for the stream).
	inFlight bool
	pinned   []float64 // maxDeferred doubles of pinned host memory, nil until first used
	ready    uintptr
}

// DeferScalars implements compute.ScalarDeferrer: until CollectScalars, the losses and sums
// queue their value in device memory and return 0, and the host does not wait for them.
func (b *Backend) DeferScalars() {
	if b.deferred == nil {
		b.deferred = &deferredScalars{results: b.alloc(1, 2*maxDeferred)}
	}
	if b.deferred.inFlight {
		panic("cuda: DeferScalars after QueueScalars without CollectScalars")
	}
	if !b.deferring {
		b.deferring = true
		b.deferred.scales = b.deferred.scales[:0]
	}
}

// deferReduceLanes queues lanes sums (one for a single tensor), sum j of the n doubles at
// in + 8·j·n, each to be scaled by scale: one gc_reduce launch of a block per lane.
func (b *Backend) deferReduceLanes(in uint64, n, lanes int, scale float64) {
	d := b.deferred
	i := len(d.scales)
	if i+lanes > maxDeferred {
		panic(fmt.Sprintf("cuda: more than %d scalars deferred before CollectScalars", maxDeferred))
	}
	b.launch(kReduce, lanes, blockSize, 1, ptrArg(d.results)+uint64(8*i), in, longArg(n))
	for range lanes {
		d.scales = append(d.scales, scale)
	}
}

// laneWidth checks that a lane operation runs while scalars are deferred on a tensor of
// lanes column blocks, and returns the width of one block.
func (b *Backend) laneWidth(op string, x *tensor, lanes int) int {
	if !b.deferring {
		panic("cuda: " + op + " outside DeferScalars … CollectScalars")
	}
	if lanes < 1 || x.cols%lanes != 0 {
		panic(fmt.Errorf("%w: %s of %d lanes on %d columns", compute.ErrShape, op, lanes, x.cols))
	}
	return x.cols / lanes
}

// SoftmaxCrossEntropyLanes implements compute.LaneScalarer: the rows of every lane's block
// in one launch of the kernel a lane alone would use (a row's loss and gradient do not
// depend on the launch shape), then one reduction of a block per lane.
func (b *Backend) SoftmaxCrossEntropyLanes(grad, logits, targets compute.Tensor, scale float64, lanes int) {
	gp, gl := b.lossGrad("SoftmaxCrossEntropyLanes", grad, logits, targets)
	z, y := b.t(logits), b.t(targets)
	w := b.laneWidth("SoftmaxCrossEntropyLanes", z, lanes)
	defer b.enter()()
	rl := b.scratch(&b.rowloss, 2*lanes*z.rows)
	b.softmaxCE(rl, gp, gl, z, y, w, scale, lanes)
	b.deferReduceLanes(ptrArg(rl), z.rows, lanes, scale)
}

// SquaredErrorLanes implements compute.LaneScalarer with one gc_squared_error launch whose
// lanes are partitioned as their own launches would be.
func (b *Backend) SquaredErrorLanes(grad, out, targets compute.Tensor, scale float64, lanes int) {
	gp, gl := b.lossGrad("SquaredErrorLanes", grad, out, targets)
	o, y := b.t(out), b.t(targets)
	w := b.laneWidth("SquaredErrorLanes", o, lanes)
	defer b.enter()()
	part, bpl := b.squaredErrorPartials(gp, gl, o, y, w, scale, lanes)
	b.deferReduceLanes(ptrArg(part), bpl, lanes, scale)
}

// ScaleSumSquaresLanes implements compute.LaneScalarer as SquaredErrorLanes does.
func (b *Backend) ScaleSumSquaresLanes(dst compute.Tensor, alpha float64, src compute.Tensor, lanes int) {
	x := b.t(src)
	w := b.laneWidth("ScaleSumSquaresLanes", x, lanes)
	var d *tensor
	if dst != nil {
		b.same("ScaleSumSquaresLanes", dst, src)
		d = b.t(dst)
	}
	defer b.enter()()
	part, bpl := b.sumSquaresPartials(d, alpha, x, w, lanes)
	b.deferReduceLanes(ptrArg(part), bpl, lanes, 1)
}

// QueueScalars implements compute.ScalarDeferrer: it ends the deferral and queues the copy
// of the sums to pinned host memory, with an event after it, so that CollectScalars waits
// for that copy alone and not for the operations queued after QueueScalars (a training step
// queues its optimizer update there: nn.Model.StartStep).
func (b *Backend) QueueScalars() {
	if !b.deferring {
		return
	}
	b.deferring = false
	d := b.deferred
	d.inFlight = true
	n := len(d.scales)
	if n == 0 || !b.pinnedOK() {
		return
	}
	defer b.enter()()
	if d.pinned == nil {
		d.pinned = unsafe.Slice((*float64)(b.allocHost(8*maxDeferred)), maxDeferred)
	}
	b.must(b.a.check("cuMemcpyDtoHAsync", call(b.a.cuMemcpyDtoHAsync, uintptr(unsafe.Pointer(&d.pinned[0])), d.results.ptr, uintptr(8*n), b.stream)))
	d.ready = b.events.record()
}

// CollectScalars implements compute.ScalarDeferrer: it waits for the sums queued since
// DeferScalars (calling QueueScalars first if the deferral is still on) and returns them,
// scaled, in call order: one wait, for the event after their copy to pinned memory, or,
// without pinned copies, one copy and a wait for the stream.
func (b *Backend) CollectScalars(dst []float64) []float64 {
	b.QueueScalars()
	d := b.deferred
	if d == nil || !d.inFlight {
		return dst
	}
	d.inFlight = false
	n := len(d.scales)
	if n == 0 {
		return dst
	}
	defer b.enter()()
	var host []float64
	if d.pinned != nil && d.ready != 0 {
		b.events.wait(d.ready)
		b.events.release(d.ready)
		d.ready = 0
		host = d.pinned[:n]
	} else {
		if cap(d.host) < n {
			d.host = make([]float64, n)
		}
		host = d.host[:n]
		// Into pageable memory the copy completes before the call returns; the wait makes sure.
		b.must(b.a.check("cuMemcpyDtoHAsync", call(b.a.cuMemcpyDtoHAsync, uintptr(unsafe.Pointer(&host[0])), d.results.ptr, uintptr(8*n), b.stream)))
		b.Synchronize()
	}
	for i, v := range host {
		dst = append(dst, d.scales[i]*v)
	}
	return dst
}

// GemmLanes implements compute.LaneGemmer with one cublasSgemmStridedBatched call: the
// lanes' products of an ensemble (package compute/ensemble) run as one batched kernel
// instead of lanes launches. The row-major trick of Gemm applies lane by lane: each lane is
// the column-major product cᵀ = op(b)ᵀ·op(a)ᵀ, and the lanes' offsets are the strides.
func (b *Backend) GemmLanes(tA, tB bool, alpha float64, a, bb compute.Tensor, beta float64, c compute.Tensor, lanes, strideA, strideB, strideC int) {
	x, y, z := b.t(a), b.t(bb), b.t(c)
	m, n, k := compute.GemmLanesDims(tA, tB, a, bb, c, lanes, strideA, strideB, strideC)
	for _, l := range []struct {
		t      *tensor
		stride int
	}{{x, strideA}, {y, strideB}, {z, strideC}} {
		last := l.t.ptr + uintptr(4*((lanes-1)*l.stride+(l.t.rows-1)*l.t.ld+l.t.cols))
		if last > l.t.end {
			panic(fmt.Errorf("%w: GemmLanes lane %d at offset %d of a %d×%d view (ld %d) runs past its allocation",
				compute.ErrView, lanes-1, (lanes-1)*l.stride, l.t.rows, l.t.cols, l.t.ld))
		}
	}
	defer b.enter()()
	b.args.alpha, b.args.beta = float32(alpha), float32(beta)
	if b.lt != nil {
		b.ltProduct(tA, tB, m, n, k, x, y, z, lanes, strideA, strideB, strideC)
		return
	}
	b.timeStart(func() string { return gemmName("cublasSgemmStridedBatched", tA, tB, m, n, k, lanes) })
	defer b.timeEnd()
	r := call(b.a.cublasSgemmStridedBatched, b.blas, op(tB), op(tA), uintptr(n), uintptr(m), uintptr(k),
		uintptr(unsafe.Pointer(&b.args.alpha)), y.ptr, uintptr(y.ld), uintptr(int64(strideB)),
		x.ptr, uintptr(x.ld), uintptr(int64(strideA)),
		uintptr(unsafe.Pointer(&b.args.beta)), z.ptr, uintptr(z.ld), uintptr(int64(strideC)), uintptr(lanes))
	if err := cublasCheck("cublasSgemmStridedBatched", r); err != nil {
		err.(*CUDAError).Info = fmt.Sprintf("m=%d n=%d k=%d tA=%v tB=%v lanes=%d", m, n, k, tA, tB, lanes)
		panic(err)
	}
}
