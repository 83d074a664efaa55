package ensemble

import (
	"fmt"

	"github.com/gridcells/gridcells/compute"
)

// Backend is an ensemble of K lanes on an inner backend (see the package doc). Like the
// inner backend, it is not safe for concurrent use.
type Backend struct {
	in   compute.Backend
	k    int
	lg   compute.LaneGemmer // nil when the inner backend has no batched GEMM
	vals []float64          // each lane's value of the last scalar operation

	// groups are the lane groups of LaneGroups (group.go), nil when the lanes are not split.
	groups []compute.LaneGroup

	// Between DeferScalars and the collection: the number of scalar operations queued, and,
	// on an inner backend that does not defer, their lanes' values, computed at once (on one
	// that defers, they arrive at the collection). pending and ops are reused by every deferral.
	deferring bool
	inFlight  bool // between QueueScalars and the collection
	queued    int
	pending   []float64 // operation i's lane k at i·K + k
	ops       [][]float64
}

var (
	_ compute.Backend             = (*Backend)(nil)
	_ compute.LaneReporter        = (*Backend)(nil)
	_ compute.LaneScalarCollector = (*Backend)(nil)
)

// New returns an ensemble of lanes ≥ 1 networks on inner.
func New(inner compute.Backend, lanes int) (*Backend, error) {
	if lanes < 1 {
		return nil, fmt.Errorf("ensemble: lanes = %d; want ≥ 1", lanes)
	}
	if _, ok := inner.(*Backend); ok {
		return nil, fmt.Errorf("ensemble: the inner backend is an ensemble already")
	}
	b := &Backend{in: inner, k: lanes, vals: make([]float64, lanes)}
	b.lg, _ = inner.(compute.LaneGemmer)
	return b, nil
}

// tensor is a rows×cols block, at (r0, c0) of each lane, of an allocation base of the inner
// backend that holds the K lanes side by side, each width columns wide.
type tensor struct {
	base       compute.Tensor
	l0         int // the ensemble's first lane in base: 0, or a lane group's first (group.go)
	r0, c0     int
	rows, cols int
	width      int
	view       bool
	all        compute.Tensor   // the block of every lane as one inner tensor; nil when the view cuts columns
	lane       []compute.Tensor // the block of each lane
	owner      *Backend
	freed      *bool // shared by an allocation and its views
}

func (t *tensor) Rows() int { return t.rows }
func (t *tensor) Cols() int { return t.cols }

// Inner returns the inner backend.
func (b *Backend) Inner() compute.Backend { return b.in }

// Lanes returns the number of lanes K.
func (b *Backend) Lanes() int { return b.k }

// LaneValues returns each lane's value of the last operation that returned a scalar.
func (b *Backend) LaneValues() []float64 { return b.vals }

func (b *Backend) Name() string         { return fmt.Sprintf("ensemble %d×%s", b.k, b.in.Name()) }
func (b *Backend) DType() compute.DType { return b.in.DType() }

// Synchronize waits for the inner backend's queued work (see compute.Synchronizer).
func (b *Backend) Synchronize() { compute.Synchronize(b.in) }

// StartProfile and StopProfile profile the inner backend (compute.Profiler), when it can.
func (b *Backend) StartProfile() error {
	p, ok := b.in.(compute.Profiler)
	if !ok {
		return fmt.Errorf("ensemble: the inner backend %s cannot profile", b.in.Name())
	}
	return p.StartProfile()
}

func (b *Backend) StopProfile() ([]compute.OpTime, float64, error) {
	p, ok := b.in.(compute.Profiler)
	if !ok {
		return nil, 0, fmt.Errorf("ensemble: the inner backend %s cannot profile", b.in.Name())
	}
	return p.StopProfile()
}

func (b *Backend) New(rows, cols int) compute.Tensor {
	if rows < 1 || cols < 1 {
		panic(fmt.Sprintf("ensemble: New(%d, %d): non-positive dimension", rows, cols))
	}
	freed := false
	return b.block(&tensor{base: b.in.New(rows, b.k*cols), rows: rows, cols: cols, width: cols, owner: b, freed: &freed})
}

// block fills in t's inner views from its base, r0, c0, rows, cols and width.
func (b *Backend) block(t *tensor) *tensor {
	if t.c0 == 0 && t.cols == t.width {
		if t.view {
			t.all = b.in.View(t.base, t.r0, t.l0*t.width, t.rows, b.k*t.width)
		} else {
			t.all = t.base
		}
	}
	t.lane = make([]compute.Tensor, b.k)
	for k := range t.lane {
		t.lane[k] = b.in.View(t.base, t.r0, (t.l0+k)*t.width+t.c0, t.rows, t.cols)
	}
	return t
}

func (b *Backend) t(x compute.Tensor) *tensor {
	t, ok := x.(*tensor)
	if !ok || t.owner != b {
		panic(fmt.Sprintf("ensemble: tensor %T does not belong to this %s backend", x, b.Name()))
	}
	if *t.freed {
		panic("ensemble: use of a freed tensor")
	}
	return t
}

func (b *Backend) View(x compute.Tensor, r0, c0, rows, cols int) compute.Tensor {
	t := b.t(x)
	if r0 < 0 || c0 < 0 || rows < 1 || cols < 1 || r0+rows > t.rows || c0+cols > t.cols {
		panic(fmt.Errorf("%w: View(%d, %d, %d, %d) of a %d×%d tensor", compute.ErrView, r0, c0, rows, cols, t.rows, t.cols))
	}
	return b.block(&tensor{base: t.base, l0: t.l0, r0: t.r0 + r0, c0: t.c0 + c0, rows: rows, cols: cols,
		width: t.width, view: true, owner: b, freed: t.freed})
}

func (b *Backend) Free(x compute.Tensor) {
	t := b.t(x)
	if t.view {
		return
	}
	b.in.Free(t.base)
	*t.freed = true
}

// Lane returns lane k of x as a tensor of the inner backend (a view sharing x's memory), to
// copy one network to or from a model of its own.
func (b *Backend) Lane(x compute.Tensor, k int) compute.Tensor {
	if k < 0 || k >= b.k {
		panic(fmt.Sprintf("ensemble: Lane(%d) of %d lanes", k, b.k))
	}
	return b.t(x).lane[k]
}

// Upload copies src into dst: K·rows·cols values, lane by lane, or rows·cols values that
// every lane receives.
func (b *Backend) Upload(dst compute.Tensor, src []float32) {
	upload(b, dst, src, b.in.Upload)
}

func (b *Backend) Upload64(dst compute.Tensor, src []float64) {
	upload(b, dst, src, b.in.Upload64)
}

func upload[T float32 | float64](b *Backend, dst compute.Tensor, src []T, up func(compute.Tensor, []T)) {
	t := b.t(dst)
	n := t.rows * t.cols
	switch len(src) {
	case n:
		for _, l := range t.lane {
			up(l, src)
		}
	case b.k * n:
		for k, l := range t.lane {
			up(l, src[k*n:(k+1)*n])
		}
	default:
		panic(fmt.Errorf("%w: Upload of %d values to %d lanes of %d×%d", compute.ErrShape, len(src), b.k, t.rows, t.cols))
	}
}

// Download copies every lane of src into dst (K·rows·cols values, lane by lane).
func (b *Backend) Download(dst []float32, src compute.Tensor) {
	download(b, dst, src, b.in.Download)
}

func (b *Backend) Download64(dst []float64, src compute.Tensor) {
	download(b, dst, src, b.in.Download64)
}

func download[T float32 | float64](b *Backend, dst []T, src compute.Tensor, down func([]T, compute.Tensor)) {
	t := b.t(src)
	n := t.rows * t.cols
	if len(dst) != b.k*n {
		panic(fmt.Errorf("%w: Download of %d lanes of %d×%d into %d values", compute.ErrShape, b.k, t.rows, t.cols, len(dst)))
	}
	for k, l := range t.lane {
		down(dst[k*n:(k+1)*n], l)
	}
}

// UploadLane copies the rows·cols values of src into lane k of dst.
func (b *Backend) UploadLane(dst compute.Tensor, k int, src []float32) {
	b.in.Upload(b.Lane(dst, k), src)
}

// UploadLanes copies srcs[k] (rows·cols values each) into lane k of dst, for every lane.
// When dst covers whole rows it interleaves them on the host into one buffer and uploads
// that (one transfer, instead of one strided transfer per lane); scratch holds that buffer
// between calls (nil allocates) and is returned.
func (b *Backend) UploadLanes(dst compute.Tensor, srcs [][]float32, scratch []float32) []float32 {
	t := b.t(dst)
	n := t.rows * t.cols
	if len(srcs) != b.k {
		panic(fmt.Sprintf("ensemble: UploadLanes of %d lanes to an ensemble of %d", len(srcs), b.k))
	}
	for _, s := range srcs {
		if len(s) != n {
			panic(fmt.Errorf("%w: UploadLanes of %d values to a %d×%d lane", compute.ErrShape, len(s), t.rows, t.cols))
		}
	}
	if t.all == nil {
		for k, l := range t.lane {
			b.in.Upload(l, srcs[k])
		}
		return scratch
	}
	if cap(scratch) < b.k*n {
		scratch = make([]float32, b.k*n)
	}
	buf := scratch[:b.k*n]
	w := b.k * t.cols
	for k, s := range srcs {
		for i := range t.rows {
			copy(buf[i*w+k*t.cols:i*w+(k+1)*t.cols], s[i*t.cols:(i+1)*t.cols])
		}
	}
	b.in.Upload(t.all, buf)
	return scratch
}

// DownloadLane copies lane k of src into the rows·cols values of dst.
func (b *Backend) DownloadLane(dst []float32, src compute.Tensor, k int) {
	b.in.Download(dst, b.Lane(src, k))
}

// whole reports whether every tensor of ts has one inner tensor covering all its lanes
// (none cuts columns).
func (b *Backend) whole(ts ...*tensor) bool {
	for _, t := range ts {
		if t.all == nil {
			return false
		}
	}
	return true
}

func (b *Backend) same(op string, ts ...compute.Tensor) []*tensor {
	out := make([]*tensor, len(ts))
	for i, x := range ts {
		out[i] = b.t(x)
		if !compute.SameShape(ts[0], x) {
			compute.PanicShape(op, ts...)
		}
	}
	return out
}

// unary runs f on dst's inner tensor for all lanes, or lane by lane.
func (b *Backend) unary(dst compute.Tensor, f func(compute.Tensor)) {
	t := b.t(dst)
	if t.all != nil {
		f(t.all)
		return
	}
	for _, l := range t.lane {
		f(l)
	}
}

// binary runs f on the inner tensors of two same-shaped tensors.
func (b *Backend) binary(op string, x, y compute.Tensor, f func(x, y compute.Tensor)) {
	ts := b.same(op, x, y)
	if b.whole(ts...) {
		f(ts[0].all, ts[1].all)
		return
	}
	for k := range b.k {
		f(ts[0].lane[k], ts[1].lane[k])
	}
}

// ternary runs f on the inner tensors of three same-shaped tensors.
func (b *Backend) ternary(op string, x, y, z compute.Tensor, f func(x, y, z compute.Tensor)) {
	ts := b.same(op, x, y, z)
	if b.whole(ts...) {
		f(ts[0].all, ts[1].all, ts[2].all)
		return
	}
	for k := range b.k {
		f(ts[0].lane[k], ts[1].lane[k], ts[2].lane[k])
	}
}

func (b *Backend) Fill(dst compute.Tensor, v float64) {
	b.unary(dst, func(x compute.Tensor) { b.in.Fill(x, v) })
}

func (b *Backend) Copy(dst, src compute.Tensor) { b.binary("Copy", dst, src, b.in.Copy) }

func (b *Backend) Scale(dst compute.Tensor, alpha float64) {
	b.unary(dst, func(x compute.Tensor) { b.in.Scale(x, alpha) })
}

func (b *Backend) AddScalar(dst compute.Tensor, v float64) {
	b.unary(dst, func(x compute.Tensor) { b.in.AddScalar(x, v) })
}

func (b *Backend) Axpy(dst compute.Tensor, alpha float64, x compute.Tensor) {
	b.binary("Axpy", dst, x, func(d, s compute.Tensor) { b.in.Axpy(d, alpha, s) })
}

func (b *Backend) Mul(dst, x, y compute.Tensor)    { b.ternary("Mul", dst, x, y, b.in.Mul) }
func (b *Backend) AddMul(dst, x, y compute.Tensor) { b.ternary("AddMul", dst, x, y, b.in.AddMul) }

func (b *Backend) Activate(dst, src compute.Tensor, f compute.Activation) {
	b.binary("Activate", dst, src, func(d, s compute.Tensor) { b.in.Activate(d, s, f) })
}

func (b *Backend) ActivationGrad(dst, out compute.Tensor, f compute.Activation) {
	b.binary("ActivationGrad", dst, out, func(d, o compute.Tensor) { b.in.ActivationGrad(d, o, f) })
}

// AddRowVector and SumRows work column by column, and the lanes' rows lie side by side:
// on whole tensors they are one inner operation over K·cols columns.
func (b *Backend) AddRowVector(dst, v compute.Tensor) {
	d, r := b.t(dst), b.t(v)
	if r.rows != 1 || r.cols != d.cols {
		compute.PanicShape("AddRowVector", dst, v)
	}
	if b.whole(d, r) {
		b.in.AddRowVector(d.all, r.all)
		return
	}
	for k := range b.k {
		b.in.AddRowVector(d.lane[k], r.lane[k])
	}
}

func (b *Backend) SumRows(dst compute.Tensor, alpha float64, src compute.Tensor, beta float64) {
	d, s := b.t(dst), b.t(src)
	if d.rows != 1 || d.cols != s.cols {
		compute.PanicShape("SumRows", dst, src)
	}
	if b.whole(d, s) {
		b.in.SumRows(d.all, alpha, s.all, beta)
		return
	}
	for k := range b.k {
		b.in.SumRows(d.lane[k], alpha, s.lane[k], beta)
	}
}

func (b *Backend) Gemm(transA, transB bool, alpha float64, a, bb compute.Tensor, beta float64, c compute.Tensor) {
	x, y, z := b.t(a), b.t(bb), b.t(c)
	if _, _, _, ok := compute.GemmDims(transA, transB, a, bb, c); !ok {
		compute.PanicShape(fmt.Sprintf("Gemm[tA=%v tB=%v]", transA, transB), a, bb, c)
	}
	if b.lg != nil && b.k > 1 {
		b.lg.GemmLanes(transA, transB, alpha, x.lane[0], y.lane[0], beta, z.lane[0], b.k, x.width, y.width, z.width)
		return
	}
	for k := range b.k {
		b.in.Gemm(transA, transB, alpha, x.lane[k], y.lane[k], beta, z.lane[k])
	}
}

// perLane runs the scalar operation f on every lane, records the lanes' values and returns
// their sum (0 while deferring: DeferScalars).
//
// On an inner backend that can defer scalars (compute.ScalarDeferrer: the GPU), the lanes'
// operations are queued and their values collected with one wait instead of one per lane.
func (b *Backend) perLane(f func(k int) float64) float64 {
	if d, ok := b.in.(compute.ScalarDeferrer); ok {
		return b.lanesDeferred(d, func() {
			for k := range b.k {
				f(k)
			}
		})
	}
	if b.deferring {
		for k := range b.k {
			b.pending = append(b.pending, f(k))
		}
		b.queued++
		return 0
	}
	for k := range b.k {
		b.vals[k] = f(k)
	}
	return sum(b.vals)
}

// laneScalars runs a scalar operation of every lane as one operation f of an inner
// compute.LaneScalarer, when there is one and every operand (nil ones skipped) covers all
// lanes, records the lanes' values and returns their sum (0 while deferring); ok is false
// when it cannot.
func (b *Backend) laneScalars(f func(ls compute.LaneScalarer), xs ...compute.Tensor) (sum float64, ok bool) {
	ls, ok := b.in.(compute.LaneScalarer)
	if !ok || b.k == 1 {
		return 0, false
	}
	for _, x := range xs {
		if x != nil && b.t(x).all == nil {
			return 0, false
		}
	}
	return b.lanesDeferred(ls, func() { f(ls) }), true
}

// lanesDeferred runs queue, which defers one value per lane on the inner backend d. Within
// the ensemble's own deferral it only counts the operation; otherwise it collects the values
// at once (one wait) and records them.
func (b *Backend) lanesDeferred(d compute.ScalarDeferrer, queue func()) float64 {
	if b.deferring {
		queue()
		b.queued++
		return 0
	}
	d.DeferScalars()
	queue()
	return b.record(d.CollectScalars(b.vals[:0]))
}

// record keeps vals as the lanes' values of the last operation and returns their sum.
func (b *Backend) record(vals []float64) float64 {
	if len(vals) != b.k {
		panic(fmt.Sprintf("ensemble: %d scalars for %d lanes", len(vals), b.k))
	}
	b.vals = vals
	return sum(vals)
}

// sum adds v in order: the sum over the lanes every scalar operation returns.
func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// DeferScalars implements compute.ScalarDeferrer: until CollectScalars or
// CollectLaneScalars, each scalar operation queues its lanes' values and returns 0.
func (b *Backend) DeferScalars() {
	if b.inFlight {
		panic("ensemble: DeferScalars after QueueScalars without a collection")
	}
	if b.deferring {
		return
	}
	b.deferring, b.queued, b.pending = true, 0, b.pending[:0]
	if d, ok := b.in.(compute.ScalarDeferrer); ok {
		d.DeferScalars()
	}
}

// QueueScalars implements compute.ScalarDeferrer: it ends the deferral and, on an inner
// backend that defers, starts the queued values on their way to the host (there the
// operations queued after it are not waited for by the collection).
func (b *Backend) QueueScalars() {
	if !b.deferring {
		return
	}
	b.deferring, b.inFlight = false, true
	if d, ok := b.in.(compute.ScalarDeferrer); ok {
		d.QueueScalars()
	}
}

// CollectLaneScalars implements compute.LaneScalarCollector: the lane values of each
// operation queued since DeferScalars, in call order; the last becomes LaneValues. The
// slices are the backend's, overwritten by the next deferral.
func (b *Backend) CollectLaneScalars() [][]float64 {
	b.QueueScalars()
	if !b.inFlight {
		return nil
	}
	b.inFlight = false
	if d, ok := b.in.(compute.ScalarDeferrer); ok {
		b.pending = d.CollectScalars(b.pending[:0])
	}
	if len(b.pending) != b.queued*b.k {
		panic(fmt.Sprintf("ensemble: %d deferred scalars for %d operations of %d lanes", len(b.pending), b.queued, b.k))
	}
	b.ops = b.ops[:0]
	for i := range b.queued {
		b.ops = append(b.ops, b.pending[i*b.k:(i+1)*b.k:(i+1)*b.k])
	}
	if b.queued > 0 {
		b.vals = append(b.vals[:0], b.ops[b.queued-1]...)
	}
	return b.ops
}

// CollectScalars implements compute.ScalarDeferrer: each queued operation's sum over the
// lanes, appended to dst.
func (b *Backend) CollectScalars(dst []float64) []float64 {
	for _, lanes := range b.CollectLaneScalars() {
		dst = append(dst, sum(lanes))
	}
	return dst
}

// all returns x's inner tensor of every lane, or nil when x is nil.
func (b *Backend) all(x compute.Tensor) compute.Tensor {
	if x == nil {
		return nil
	}
	return b.t(x).all
}

// laneOrNil returns lane k of x, or nil when x is nil (an optional gradient).
func (b *Backend) laneOrNil(x compute.Tensor, k int) compute.Tensor {
	if x == nil {
		return nil
	}
	return b.t(x).lane[k]
}

// loss runs a loss on every lane: as one operation of an inner compute.LaneScalarer (lanes,
// given every lane's tensors as one) when there is one, else lane by lane (one).
func (b *Backend) loss(grad, out, targets compute.Tensor, lanes func(ls compute.LaneScalarer, g, o, y compute.Tensor),
	one func(g, o, y compute.Tensor) float64) float64 {
	o, y := b.t(out), b.t(targets)
	if lanes != nil {
		if v, ok := b.laneScalars(func(ls compute.LaneScalarer) { lanes(ls, b.all(grad), o.all, y.all) }, grad, out, targets); ok {
			return v
		}
	}
	return b.perLane(func(k int) float64 { return one(b.laneOrNil(grad, k), o.lane[k], y.lane[k]) })
}

func (b *Backend) SoftmaxCrossEntropy(grad, logits, targets compute.Tensor, scale float64) float64 {
	return b.loss(grad, logits, targets,
		func(ls compute.LaneScalarer, g, z, y compute.Tensor) {
			ls.SoftmaxCrossEntropyLanes(g, z, y, scale, b.k)
		},
		func(g, z, y compute.Tensor) float64 { return b.in.SoftmaxCrossEntropy(g, z, y, scale) })
}

func (b *Backend) SquaredError(grad, out, targets compute.Tensor, scale float64) float64 {
	return b.loss(grad, out, targets,
		func(ls compute.LaneScalarer, g, o, y compute.Tensor) { ls.SquaredErrorLanes(g, o, y, scale, b.k) },
		func(g, o, y compute.Tensor) float64 { return b.in.SquaredError(g, o, y, scale) })
}

// PolarSquaredError has no lane operation (compute.LaneScalarer): it runs lane by lane.
func (b *Backend) PolarSquaredError(grad, out, targets compute.Tensor, scale float64) float64 {
	return b.loss(grad, out, targets, nil,
		func(g, o, y compute.Tensor) float64 { return b.in.PolarSquaredError(g, o, y, scale) })
}

func (b *Backend) SumSquares(x compute.Tensor) float64 {
	t := b.t(x)
	if v, ok := b.laneScalars(func(ls compute.LaneScalarer) { ls.ScaleSumSquaresLanes(nil, 0, t.all, b.k) }, x); ok {
		return v
	}
	return b.perLane(func(k int) float64 { return b.in.SumSquares(t.lane[k]) })
}

func (b *Backend) ScaleSumSquares(dst compute.Tensor, alpha float64, src compute.Tensor) float64 {
	ts := b.same("ScaleSumSquares", dst, src)
	if v, ok := b.laneScalars(func(ls compute.LaneScalarer) { ls.ScaleSumSquaresLanes(ts[0].all, alpha, ts[1].all, b.k) }, dst, src); ok {
		return v
	}
	return b.perLane(func(k int) float64 { return b.in.ScaleSumSquares(ts[0].lane[k], alpha, ts[1].lane[k]) })
}

func (b *Backend) Sum(x compute.Tensor) float64 {
	t := b.t(x)
	return b.perLane(func(k int) float64 { return b.in.Sum(t.lane[k]) })
}

// The optimizers are elementwise: every lane takes the same hyperparameters.

func (b *Backend) Adam(param, grad, m, v compute.Tensor, s compute.AdamStep) {
	ts := b.same("Adam", param, grad, m, v)
	if b.whole(ts...) {
		b.in.Adam(ts[0].all, ts[1].all, ts[2].all, ts[3].all, s)
		return
	}
	for k := range b.k {
		b.in.Adam(ts[0].lane[k], ts[1].lane[k], ts[2].lane[k], ts[3].lane[k], s)
	}
}

func (b *Backend) RMSProp(param, grad, acc compute.Tensor, lr, rho, eps float64) {
	b.ternary("RMSProp", param, grad, acc, func(p, g, a compute.Tensor) { b.in.RMSProp(p, g, a, lr, rho, eps) })
}

func (b *Backend) Adagrad(param, grad, acc compute.Tensor, lr, eps float64) {
	b.ternary("Adagrad", param, grad, acc, func(p, g, a compute.Tensor) { b.in.Adagrad(p, g, a, lr, eps) })
}
